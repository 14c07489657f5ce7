import { ServiceProcess } from '../stack/service-process';
import { prepareServiceEnv } from '../stack/app-stack';
import { summarizeLatencies, type LatencySummary } from '../stats/latency-summary';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';

/** A GPT-profile model on the synthetic engine, its deliberate delay standing in for GPU time. */
const STREAM_MODEL = 'bench-stream';
const ENGINE_DELAY_MS = 400;
/** One caller, then a few at once on as many worker slots, so queueing does not enter the figures. */
const LEVELS = [1, 4] as const;

export type StreamVariant = 'plain' | 'stream, 0 partials' | 'stream, 2 partials' | 'stream, 3 partials';
const VARIANTS: ReadonlyArray<{ variant: StreamVariant; stream: boolean; partials: number }> = [
  { variant: 'plain', stream: false, partials: 0 },
  { variant: 'stream, 0 partials', stream: true, partials: 0 },
  { variant: 'stream, 2 partials', stream: true, partials: 2 },
  { variant: 'stream, 3 partials', stream: true, partials: 3 },
];

/** One call's timings from sending the request, in ms. */
interface CallTiming {
  headersMs: number;
  firstPartialMs?: number;
  completedMs: number;
  partials: number;
}

export interface StreamingRow {
  variant: StreamVariant;
  concurrency: number;
  calls: number;
  errors: number;
  headers: LatencySummary;
  firstPartial?: LatencySummary;
  completed: LatencySummary;
  /** Median completed time over the plain call's median in the same rounds, in ms and percent. */
  overheadMs?: number;
  overheadPercent?: number;
}

export interface StreamingResult {
  engineDelayMs: number;
  size: string;
  rounds: number;
  rows: StreamingRow[];
}

/**
 * What streaming costs and buys: the same generation asked for plainly and as a stream with
 * 0, 2 and 3 partial images, in rounds that take the variants in turn on one API and one worker,
 * so each variant meets the same machine. Time to first partial is what a streaming caller gains;
 * the completed event's time over the plain call's answer is what the stream costs (preview
 * encoding and storing, events through Redis, SSE framing).
 */
export async function runStreamingSuite(context: SuiteContext): Promise<StreamingResult> {
  const rounds = context.options.quick ? 2 : 8;
  const callsPerRound = context.options.quick ? 2 : 5;
  return withRedis(context, 'streaming', async (redis) => {
    const model = { id: STREAM_MODEL, profile: 'gpt-image', queue: 'images', engine: { kind: 'synthetic', delayMsPerImage: ENGINE_DELAY_MS } };
    const { env, baseUrl, apiKey } = await prepareServiceEnv({ name: 'streaming', workDir: context.workDir, redisUrl: redis.url, models: [model], workerConcurrency: Math.max(...LEVELS) });
    const processes = [
      ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env }),
      ServiceProcess.start({ name: 'worker', entry: 'apps/worker/src/main.ts', cwd: context.repoRoot, env }),
    ];
    const stopAll = () => Promise.all(processes.map((process) => process.stop())).then(() => undefined);
    const unregister = stopOnInterrupt(stopAll);
    try {
      const call = (variant: (typeof VARIANTS)[number]) => timedCall(baseUrl, apiKey, variant.stream, variant.partials);
      await waitUntilServing(() => call(VARIANTS[0]!), 60_000);
      // Unmeasured: every code path compiled and the worker's pools grown.
      for (const variant of VARIANTS) await call(variant);
      const samples = new Map<string, { timings: CallTiming[]; errors: number }>();
      for (let round = 1; round <= rounds; round += 1) {
        // Rotate which variant goes first, so none always meets a quieter machine.
        const order = VARIANTS.map((_, index) => VARIANTS[(index + round) % VARIANTS.length]!);
        for (const concurrency of LEVELS) {
          for (const variant of order) {
            const entry = samples.get(`${variant.variant}|${concurrency}`) ?? { timings: [], errors: 0 };
            samples.set(`${variant.variant}|${concurrency}`, entry);
            for (let i = 0; i < callsPerRound; i += 1) {
              const outcomes = await Promise.allSettled(Array.from({ length: concurrency }, () => call(variant)));
              for (const outcome of outcomes) {
                if (outcome.status === 'fulfilled') entry.timings.push(outcome.value);
                else entry.errors += 1;
              }
            }
          }
        }
        context.log(`streaming round ${round}/${rounds} done`);
      }
      for (const process of processes) process.assertAlive();
      const rows = LEVELS.flatMap((concurrency) => rowsAt(concurrency, samples));
      for (const row of rows) {
        const partial = row.firstPartial ? `, first partial p50 ${row.firstPartial.p50.toFixed(0)} ms` : '';
        context.log(`${row.variant} x${row.concurrency}: completed p50 ${row.completed.p50.toFixed(0)} ms${partial}, ${row.errors} errors`);
      }
      return { engineDelayMs: ENGINE_DELAY_MS, size: '1024x1024', rounds, rows };
    } finally {
      await stopAll();
      unregister();
    }
  });
}

function rowsAt(concurrency: number, samples: Map<string, { timings: CallTiming[]; errors: number }>): StreamingRow[] {
  const plain = samples.get(`plain|${concurrency}`);
  const plainP50 = plain && plain.timings.length > 0 ? summarizeLatencies(plain.timings.map((timing) => timing.completedMs)).p50 : undefined;
  return VARIANTS.map(({ variant, partials }) => {
    const entry = samples.get(`${variant}|${concurrency}`) ?? { timings: [], errors: 0 };
    const completed = summarizeLatencies(entry.timings.map((timing) => timing.completedMs));
    const firsts = entry.timings.flatMap((timing) => (timing.firstPartialMs === undefined ? [] : [timing.firstPartialMs]));
    const missing = partials > 0 ? entry.timings.filter((timing) => timing.partials !== partials).length : 0;
    const row: StreamingRow = {
      variant,
      concurrency,
      calls: entry.timings.length,
      errors: entry.errors + missing,
      headers: summarizeLatencies(entry.timings.map((timing) => timing.headersMs)),
      completed,
      ...(firsts.length > 0 ? { firstPartial: summarizeLatencies(firsts) } : {}),
    };
    if (variant !== 'plain' && plainP50 !== undefined && entry.timings.length > 0) {
      row.overheadMs = completed.p50 - plainP50;
      row.overheadPercent = (row.overheadMs / plainP50) * 100;
    }
    return row;
  });
}

async function waitUntilServing(call: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await call();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** One generation, timed to its headers, its first partial event and its final answer (the plain body, or the completed event). */
async function timedCall(baseUrl: string, apiKey: string, stream: boolean, partials: number): Promise<CallTiming> {
  const started = performance.now();
  const body = { model: STREAM_MODEL, prompt: 'a lighthouse on a cliff at dusk, oil painting', size: '1024x1024', quality: 'low', output_format: 'jpeg', ...(stream ? { stream: true, partial_images: partials } : {}) };
  const response = await fetch(`${baseUrl}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const headersMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  if (!stream) {
    const answer = (await response.json()) as { data?: Array<{ b64_json?: string }> };
    if (!answer.data?.[0]?.b64_json) throw new Error('answer without an image');
    return { headersMs, completedMs: performance.now() - started, partials: 0 };
  }
  return readStream(response, started, headersMs);
}

async function readStream(response: Response, started: number, headersMs: number): Promise<CallTiming> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let firstPartialMs: number | undefined;
  let partials = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended before its completed event');
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = frame.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
      if (!data) continue;
      const event = JSON.parse(data) as { type?: string; error?: { message: string } };
      if (event.error) throw new Error(`stream error: ${event.error.message}`);
      if (event.type === 'image_generation.partial_image') {
        partials += 1;
        firstPartialMs ??= performance.now() - started;
      }
      if (event.type === 'image_generation.completed') {
        await reader.cancel();
        return { headersMs, completedMs: performance.now() - started, partials, ...(firstPartialMs !== undefined ? { firstPartialMs } : {}) };
      }
    }
  }
}
