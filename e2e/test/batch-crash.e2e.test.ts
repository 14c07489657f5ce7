import { Redis } from 'ioredis';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { spawnWorker, waitFor, type WorkerProcess } from '@imageforge/worker/test/worker-fixtures';
import { API_KEY, useImageStack } from './support/image-stack.harness';

/**
 * Workers are separate processes here, SIGKILLed in the middle of a batch phase: the
 * phase job's lock lapses, another worker takes it, and the batch still ends with every
 * custom_id exactly once in exactly one of its two files.
 */
describe('a batch survives a worker killed mid-expand and mid-finalize', () => {
  let connection: Redis | undefined;
  const redis = () => (connection ??= new Redis(stack.redis.url));
  // Added before the stack's hooks, so it runs while the stack's Redis is still up.
  afterAll(async () => {
    await connection?.quit();
  });
  const stack = useImageStack({
    withoutWorker: true,
    workerConcurrency: 8,
    models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', render: 'cached' } }],
    // Small chunks make expansion and finalize long enough to be caught in the middle.
    workerEnv: { BATCH_CHUNK_SIZE: '20', WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '300', RETENTION_SWEEP_INTERVAL_MS: '0' },
  });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  });

  const start = async () => {
    const worker = spawnWorker({ ...stack.workerProcessEnv, LOG_LEVEL: 'info' });
    workers.push(worker);
    await worker.waitForLog('worker started', 30_000);
    return worker;
  };
  const kill = async (worker: WorkerProcess) => {
    worker.child.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');
  };
  const field = (batchId: string, name: string) => redis().hget(`bull:{batches}:batch:${batchId}`, name);

  async function submit(lines: number, responseFormat: 'url' | 'b64_json'): Promise<string> {
    const body = Array.from({ length: lines }, (_, index) =>
      JSON.stringify({ custom_id: `c-${index}`, method: 'POST', url: '/v1/images/generations', body: { prompt: `p ${index}`, size: '256x256', response_format: responseFormat } }),
    ).join('\n');
    const file = await client().files.create({ file: await toFile(Buffer.from(body), 'big.jsonl'), purpose: 'batch' });
    return (await client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' })).id;
  }

  async function completed(batchId: string): Promise<Batch> {
    return waitFor(async () => {
      const batch = await client().batches.retrieve(batchId);
      return batch.status === 'completed' ? batch : undefined;
    }, 90_000, `batch ${batchId} to complete`);
  }

  async function expectEachOnce(batch: Batch, lines: number) {
    const ids: string[] = [];
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await (await client().files.content(fileId)).text();
      for (const line of text.split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { custom_id: string }).custom_id);
    }
    expect(ids).toHaveLength(lines);
    expect(new Set(ids).size).toBe(lines);
    expect(batch.request_counts).toEqual({ total: lines, completed: lines, failed: 0 });
  }

  it('resumes an expansion cut short, queuing no line twice', async () => {
    const lines = 1000;
    const batchId = await submit(lines, 'url');
    const first = await start();
    await waitFor(async () => Number(await field(batchId, 'lines_expanded')) >= 100, 30_000, 'expansion to get under way');
    await kill(first);
    expect(await field(batchId, 'expand_done')).not.toBe('1');

    await start();
    const batch = await completed(batchId);
    await expectEachOnce(batch, lines);
    const laneJobs = await redis().zcard('bull:{images-batch}:images-batch:completed');
    expect(laneJobs).toBe(lines);
  }, 120_000);

  it('writes the files again after a finalize cut short, with no line written twice', async () => {
    const lines = 1000;
    const batchId = await submit(lines, 'b64_json');
    const first = await start();
    await waitFor(async () => (await field(batchId, 'status')) === 'finalizing', 60_000, 'finalize to start');
    await kill(first);
    expect(await field(batchId, 'status')).toBe('finalizing');

    await start();
    const batch = await completed(batchId);
    await expectEachOnce(batch, lines);
  }, 120_000);
});
