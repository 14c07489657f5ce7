import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookReceiver, type ReceivedWebhook } from '@imageforge/testing';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const endpointSecret = `whsec_${randomBytes(32).toString('base64')}`;
const urlSecret = `whsec_${randomBytes(32).toString('base64')}`;
const models = [
  { id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 400 } },
  { id: 'gpt-image-1', profile: 'gpt-image', engine: { kind: 'synthetic' } },
];

type WebhookBody = { object: string; id: string; type: string; created_at: number; data: Record<string, unknown> };

describe('webhooks: signed image job events from the outbox, webhook_url, admin deliveries', () => {
  let receiver: WebhookReceiver;
  // Before the stack's own hooks: its environment names the receiver's port.
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  const webhookEnv = () => ({
    WEBHOOK_ENDPOINTS: JSON.stringify([
      { id: 'ops', url: receiver.url('/ops'), secret: endpointSecret, events: ['image.job.*'] },
      // Bound to another key's owner: never gets this key's events.
      { id: 'other-tenant', url: receiver.url('/other'), secret: endpointSecret, owner: createHash('sha256').update('sk-other').digest('hex') },
    ]),
    WEBHOOK_ALLOWED_HOSTS: 'localhost',
    WEBHOOK_SECRET: urlSecret,
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
  });
  const stack = useImageStack({
    models,
    workerConcurrency: 1,
    get apiEnv() {
      return { ...webhookEnv(), ADMIN_KEY };
    },
    get workerEnv() {
      return { ...webhookEnv(), WEBHOOK_RETRY_SCHEDULE_MS: '100,100' };
    },
  });
  afterAll(async () => {
    await receiver.close();
  });

  const generate = (body: object, headers: Record<string, string> = {}) =>
    stack.request('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const admin = (path: string, init: RequestInit = {}) => stack.request(`/admin/webhooks${path}`, { ...init, key: ADMIN_KEY });

  /** The first event on `path` about job `jobId`, waiting for it. */
  async function eventFor(path: string, jobId: string, type: string, timeoutMs = 15_000): Promise<{ request: ReceivedWebhook; body: WebhookBody }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const request = receiver.on(path).find((candidate) => {
        const body = JSON.parse(candidate.body) as WebhookBody;
        return body.data.id === jobId && body.type === type;
      });
      if (request) return { request, body: JSON.parse(request.body) as WebhookBody };
      if (Date.now() > deadline) throw new Error(`no ${type} for ${jobId} on ${path}`);
      await receiver.waitFor(path, receiver.on(path).length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
  }

  it('delivers image.job.succeeded for an async generation, signed with the endpoint’s secret', async () => {
    const response = await generate({ prompt: 'a lighthouse at dusk', size: '256x256' }, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    const job = await bodyOf(response);
    const { request, body } = await eventFor('/ops', job.id, 'image.job.succeeded');
    expect(new Webhook(endpointSecret).verify(request.body, request.headers as Record<string, string>)).toEqual(body);
    expect(request.headers['webhook-id']).toBe(body.id);
    expect(request.headers['content-type']).toBe('application/json');
    expect(body).toEqual({
      object: 'event',
      id: `evt_${job.id}_succeeded`,
      type: 'image.job.succeeded',
      created_at: expect.any(Number),
      data: { id: job.id, object: 'image.job', operation: 'generation', model: 'dall-e-2', status: 'succeeded' },
    });
    expect(Math.abs(body.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(receiver.on('/other')).toHaveLength(0);
  });

  it('sends a request’s own webhook_url its event, signed with WEBHOOK_SECRET, from JSON and multipart requests', async () => {
    const ownUrl = receiver.url('/own');
    const sync = await generate({ model: 'gpt-image-1', prompt: 'a red fox', size: '1024x1024', quality: 'low', webhook_url: ownUrl });
    expect(sync.status).toBe(200);
    const jobId = sync.headers.get('x-job-id')!;
    const { request, body } = await eventFor('/own', jobId, 'image.job.succeeded');
    expect(new Webhook(urlSecret).verify(request.body, request.headers as Record<string, string>)).toEqual(body);
    expect(() => new Webhook(endpointSecret).verify(request.body, request.headers as Record<string, string>)).toThrow();
    expect(body.data).toMatchObject({ id: jobId, model: 'gpt-image-1', status: 'succeeded' });
    // The body says what happened, never what was made: no image bytes, no links.
    expect(request.body.length).toBeLessThan(500);

    const form = new FormData();
    form.set('image', new Blob([new Uint8Array(await makePng(256, 256))], { type: 'image/png' }), 'otter.png');
    form.set('size', '256x256');
    form.set('webhook_url', receiver.url('/own-variation'));
    const variation = await stack.request('/v1/images/variations', { method: 'POST', body: form, headers: { prefer: 'respond-async' } });
    expect(variation.status).toBe(202);
    const variationJob = await bodyOf(variation);
    await eventFor('/own-variation', variationJob.id, 'image.job.succeeded');
  });

  it('answers 400 on webhook_url for a host that is not allowed, a bad scheme or a non-string, and queues nothing', async () => {
    for (const [value, message] of [
      ['https://evil.example.org/hook', "Invalid 'webhook_url': host 'evil.example.org' is not one this server delivers webhooks to."],
      ['ftp://localhost/hook', "Invalid 'webhook_url': must be an https or http URL."],
      ['not a url', "Invalid 'webhook_url': expected an absolute URL."],
    ] as const) {
      const response = await generate({ prompt: 'never queued', size: '256x256', webhook_url: value }, { prefer: 'respond-async' });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-job-id')).toBeNull();
      expect(await bodyOf(response)).toEqual({ error: { message, type: 'invalid_request_error', param: 'webhook_url', code: 'invalid_value' } });
    }
    const wrongType = await generate({ prompt: 'never queued', webhook_url: 42 });
    expect(wrongType.status).toBe(400);
    expect((await bodyOf(wrongType)).error).toMatchObject({ param: 'webhook_url', code: 'invalid_type' });
  });

  it('delivers image.job.cancelled for an async job cancelled while still queued', async () => {
    // One slot: the first job runs, the next waits at the gate, the rest stay queued.
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await bodyOf(await generate({ prompt: `queued ${i}`, size: '256x256' }, { prefer: 'respond-async' })));
    const last = jobs.at(-1);
    const cancel = await stack.request(`/v1/images/jobs/${last.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect((await bodyOf(cancel)).status).toBe('cancelled');
    const { request, body } = await eventFor('/ops', last.id, 'image.job.cancelled');
    expect(new Webhook(endpointSecret).verify(request.body, request.headers as Record<string, string>)).toEqual(body);
    expect(body).toMatchObject({ id: `evt_${last.id}_cancelled`, data: { id: last.id, status: 'cancelled', error: { code: 'job_cancelled' } } });
    // Cancelling again announces nothing new: the event's deliveries already exist.
    await stack.request(`/v1/images/jobs/${last.id}/cancel`, { method: 'POST' });
    await eventFor('/ops', jobs[0].id, 'image.job.succeeded');
    expect(receiver.on('/ops').filter((candidate) => candidate.headers['webhook-id'] === body.id)).toHaveLength(1);
  });

  it('lists deliveries for the admin, shows one with its attempts, and replays it under a new id', async () => {
    expect((await stack.request('/admin/webhooks/deliveries')).status).toBe(401);
    const job = await bodyOf(await generate({ prompt: 'for the log', size: '256x256' }, { prefer: 'respond-async' }));
    const { body: event } = await eventFor('/ops', job.id, 'image.job.succeeded');

    let delivery: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && delivery?.state !== 'delivered'; i++) {
      const list = await bodyOf(await admin('/deliveries?limit=50'));
      expect(list.object).toBe('list');
      delivery = list.data.find((candidate: { event_id: string }) => candidate.event_id === event.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(delivery).toMatchObject({ object: 'webhook.delivery', event_type: 'image.job.succeeded', endpoint_id: 'ops', url: null, state: 'delivered', attempts: 1 });

    const detail = await bodyOf(await admin(`/deliveries/${String(delivery!.id)}`));
    expect(detail.attempt_log).toEqual([{ attempt: 1, at: expect.any(Number), status: 200, latency_ms: expect.any(Number), error: null }]);

    const before = receiver.on('/ops').filter((candidate) => candidate.headers['webhook-id'] === event.id).length;
    const replay = await admin(`/deliveries/${String(delivery!.id)}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    const replayed = await bodyOf(replay);
    expect(replayed).toMatchObject({ object: 'webhook.delivery', state: 'pending', replay_of: delivery!.id });
    expect(replayed.id).not.toBe(delivery!.id);
    const withEventId = () => receiver.on('/ops').filter((candidate) => candidate.headers['webhook-id'] === event.id);
    for (let i = 0; i < 500 && withEventId().length === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const again = withEventId();
    expect(again).toHaveLength(before + 1);
    expect(JSON.parse(again.at(-1)!.body)).toEqual(event);

    const missing = await admin('/deliveries/whd_nope');
    expect(missing.status).toBe(404);
    expect((await bodyOf(missing)).error).toMatchObject({ code: 'delivery_not_found', type: 'invalid_request_error' });
    expect((await admin('/deliveries/whd_nope/replay', { method: 'POST' })).status).toBe(404);
    expect((await admin('/deliveries?limit=0')).status).toBe(400);
  });
});
