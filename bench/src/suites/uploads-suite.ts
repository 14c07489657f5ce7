import sharp from 'sharp';
import { readProcess } from '../processes/process-stats';
import type { SuiteContext } from './suite-context';
import { withStack } from './stack-session';

export interface UploadRun {
  label: string;
  uploads: number;
  bytesPerUpload: number;
  pixelsPerUpload: number;
  accepted: number;
  errors: number;
  errorSamples: string[];
  apiRssBeforeBytes: number;
  apiPeakRssBytes: number;
}

export interface UploadsResult {
  runs: UploadRun[];
}

const PIXEL_MODEL = 'bench-edit-dalle2';
const BYTES_MODEL = 'bench-edit-gpt';

/**
 * API memory under concurrent edits of the largest inputs it accepts: images at the
 * pixel cap (8192x8192 PNGs of a few hundred KB, which a full decode would blow up to
 * 256 MiB each) and files near the byte cap (incompressible PNGs). Answers are
 * `respond-async`, so the figure is the API's own: parse, inspect, store, enqueue.
 */
export async function runUploadsSuite(context: SuiteContext): Promise<UploadsResult> {
  const concurrency = context.options.sizes.uploadConcurrency;
  const models = [
    { id: PIXEL_MODEL, profile: 'dall-e-2' as const, render: 'cached' as const },
    { id: BYTES_MODEL, profile: 'gpt-image' as const, render: 'cached' as const },
  ];
  return withStack(context, { name: 'uploads', models, workerConcurrency: 1 }, async (session) => {
    const pixelCap = await sharp({ create: { width: 8192, height: 8192, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const noise = Buffer.alloc(2_600 * 2_600 * 4);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const byteHeavy = await sharp(noise, { raw: { width: 2_600, height: 2_600, channels: 4 } }).png({ compressionLevel: 0 }).toBuffer();
    const runs: UploadRun[] = [];
    for (const [label, model, image, pixels] of [
      [`${concurrency} concurrent 8192x8192 PNG edits (pixel cap)`, PIXEL_MODEL, pixelCap, 8192 * 8192],
      [`${concurrency} concurrent 2600x2600 incompressible PNG edits`, BYTES_MODEL, byteHeavy, 2_600 * 2_600],
    ] as const) {
      runs.push(await uploadBurst(context, session.stack.baseUrl, session.stack.apiKey, session.sampler, session.stack.api.pid, { label, model, image, pixels, concurrency }));
    }
    return { runs };
  });
}

async function uploadBurst(
  context: SuiteContext,
  baseUrl: string,
  apiKey: string,
  sampler: { usage(name: string, from: number, to: number): { rssBytes: number; peakRssBytes: number } | undefined },
  apiPid: number,
  burst: { label: string; model: string; image: Buffer; pixels: number; concurrency: number },
): Promise<UploadRun> {
  const before = readRss(apiPid);
  const from = Date.now();
  const errorSamples: string[] = [];
  let accepted = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: burst.concurrency }, async () => {
      const form = new FormData();
      form.append('model', burst.model);
      form.append('prompt', 'add a lighthouse');
      form.append('size', burst.model === PIXEL_MODEL ? '256x256' : '1024x1024');
      form.append('image', new Blob([burst.image], { type: 'image/png' }), 'input.png');
      const response = await fetch(`${baseUrl}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, prefer: 'respond-async' }, body: form });
      if (response.status === 202) accepted += 1;
      else {
        errors += 1;
        if (errorSamples.length < 3) errorSamples.push(`${response.status} ${(await response.text()).slice(0, 160)}`);
      }
    }),
  );
  // Let the sampler see the peak it may have caught just before the last answer.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const usage = sampler.usage('api', from, Date.now());
  const run: UploadRun = {
    label: burst.label,
    uploads: burst.concurrency,
    bytesPerUpload: burst.image.length,
    pixelsPerUpload: burst.pixels,
    accepted,
    errors,
    errorSamples,
    apiRssBeforeBytes: before,
    apiPeakRssBytes: Math.max(usage?.peakRssBytes ?? 0, readRss(apiPid)),
  };
  context.log(`${burst.label}: ${accepted} accepted, ${errors} errors, API RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(run.apiPeakRssBytes / 2 ** 20).toFixed(0)} MiB${errorSamples[0] ? ` (${errorSamples[0]})` : ''}`);
  return run;
}

function readRss(pid: number): number {
  return readProcess(pid)?.rssBytes ?? 0;
}
