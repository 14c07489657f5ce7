import { randomBytes } from 'node:crypto';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { Webhook } from 'standardwebhooks';
import { WebhookReceiver } from '@imageforge/testing';
import { API_KEY, useImageStack } from './support/image-stack.harness';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
/** Slow enough that a batch of a few dozen lines is still running when the test acts on it. */
const models = [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 150 } }];
const WINDOW_SECONDS = 3;

type OutputLine = { custom_id: string; response: { status_code: number } | null; error: { code: string } | null };

describe('a batch cancelled or expired mid-run keeps what finished and accounts for every line; its end is a signed webhook', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  const webhookEnv = () => ({
    WEBHOOK_ENDPOINTS: JSON.stringify([{ id: 'batches', url: receiver.url('/batches'), secret, events: ['batch.*'] }]),
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
  });
  const stack = useImageStack({
    models,
    workerConcurrency: 1,
    get apiEnv() {
      return { ...webhookEnv(), BATCH_COMPLETION_WINDOW_SECONDS: String(WINDOW_SECONDS) };
    },
    get workerEnv() {
      return { ...webhookEnv(), WEBHOOK_RETRY_SCHEDULE_MS: '100,100' };
    },
  });
  afterAll(async () => {
    await receiver.close();
  });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });

  async function submit(lines: number): Promise<Batch> {
    const body = Array.from({ length: lines }, (_, index) =>
      JSON.stringify({ custom_id: `line-${index}`, method: 'POST', url: '/v1/images/generations', body: { prompt: `fox ${index}`, size: '256x256' } }),
    ).join('\n');
    const file = await client().files.create({ file: await toFile(Buffer.from(body), 'requests.jsonl'), purpose: 'batch' });
    return client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' });
  }

  async function until(id: string, done: (batch: Batch) => boolean, timeoutMs = 20_000): Promise<Batch> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const batch = await client().batches.retrieve(id);
      if (done(batch)) return batch;
      if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status}: ${JSON.stringify(batch.request_counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function linesOf(fileId: string | null | undefined): Promise<OutputLine[]> {
    if (!fileId) return [];
    const text = await (await client().files.content(fileId)).text();
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as OutputLine);
  }

  /** Every custom_id in exactly one of the two files. */
  async function accountFor(batch: Batch, lines: number) {
    const output = await linesOf(batch.output_file_id);
    const errors = await linesOf(batch.error_file_id);
    const ids = [...output, ...errors].map((line) => line.custom_id).sort();
    expect(ids).toEqual(Array.from({ length: lines }, (_, index) => `line-${index}`).sort());
    return { output, errors };
  }

  async function webhookFor(batchId: string, type: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = receiver.on('/batches').find((request) => JSON.parse(request.body).data.id === batchId);
      if (found) {
        const verified = new Webhook(secret).verify(found.body, found.headers as Record<string, string>) as { type: string; data: { id: string } };
        expect(verified).toMatchObject({ object: 'event', type, data: { id: batchId } });
        return verified;
      }
      if (Date.now() > deadline) throw new Error(`no ${type} webhook for ${batchId}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('cancel mid-run: queued lines removed, finished kept, cancelling then cancelled, batch.cancelled delivered', async () => {
    const created = await submit(30);
    await until(created.id, (batch) => (batch.request_counts?.completed ?? 0) >= 2);
    const cancelling = await client().batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));

    const batch = await until(created.id, (candidate) => candidate.status === 'cancelled');
    expect(batch.cancelled_at).toEqual(expect.any(Number));
    const { output, errors } = await accountFor(batch, 30);
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(output.length).toBeLessThan(30);
    expect(batch.request_counts).toMatchObject({ total: 30, completed: output.length });
    expect(errors.every((line) => line.error?.code === 'batch_cancelled')).toBe(true);
    await webhookFor(batch.id, 'batch.cancelled');
    // Cancelling again answers the batch as it is.
    expect((await client().batches.cancel(batch.id)).status).toBe('cancelled');
  });

  it('expiry: the window closes with lines left, the done lines are kept and the rest are batch_expired', async () => {
    const created = await submit(60);
    const batch = await until(created.id, (candidate) => candidate.status === 'expired', (WINDOW_SECONDS + 15) * 1000);
    expect(batch.expired_at).toEqual(expect.any(Number));
    const { output, errors } = await accountFor(batch, 60);
    expect(output.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((line) => line.error?.code === 'batch_expired')).toBe(true);
    await webhookFor(batch.id, 'batch.expired');
  });

  it('a batch that finishes in time completes and says so by webhook', async () => {
    const created = await submit(3);
    const batch = await until(created.id, (candidate) => candidate.status === 'completed');
    await accountFor(batch, 3);
    await webhookFor(batch.id, 'batch.completed');
  });
});
