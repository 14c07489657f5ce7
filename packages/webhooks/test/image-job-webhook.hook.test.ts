import { ApiErrorJobFailure, deadlineExceededReason, expiredReason, WEBHOOKS_QUEUE, type AnyImageJobRecord, type ImageJobPayload, type SettledJob, type ImageJobCatalog } from '@imageforge/jobs';
import type { RedisClient } from '@imageforge/queue';
import { dallE2Params, useRedisServer } from '@imageforge/testing';
import { imageJobRecordAnnouncer, imageJobWebhookEvent, imageJobWebhookHook, WebhookOutbox } from '../src';
import { newSecret, readyConnection, uniquePrefix } from './webhook-test-kit';

const params: ImageJobPayload['params'] = dallE2Params();
const payload = (overrides: Partial<ImageJobPayload<'image.generate'>> = {}): ImageJobPayload<'image.generate'> => ({
  requestId: 'req_1',
  owner: 'owner-a',
  acceptedAt: 1_700_000_000_000,
  params,
  prompt: 'a fox',
  lane: 'async',
  ...overrides,
});
const result = { images: [{ key: 'jobs/imgjob_1/output/0.png', contentType: 'image/png', width: 256, height: 256, bytes: 1234 }], finishedAt: 1_700_000_005_000 };

describe('image job events', () => {
  it('announces async and webhook_url jobs only, with a deterministic id and a small body', () => {
    const settled = { jobId: 'imgjob_1', name: 'image.generate' as const, payload: payload(), outcome: { status: 'succeeded' as const, result } };
    expect(imageJobWebhookEvent(settled)).toEqual({
      id: 'evt_imgjob_1_succeeded',
      type: 'image.job.succeeded',
      createdAt: 1_700_000_005,
      owner: 'owner-a',
      data: { id: 'imgjob_1', object: 'image.job', operation: 'generation', model: 'dall-e-2', status: 'succeeded' },
    });
    expect(JSON.stringify(imageJobWebhookEvent(settled))).not.toContain('jobs/imgjob_1/output');
    expect(imageJobWebhookEvent({ ...settled, payload: payload({ lane: 'interactive' }) })).toBeNull();
    expect(imageJobWebhookEvent({ ...settled, payload: payload({ lane: 'batch' }) })).toBeNull();
    const own = imageJobWebhookEvent({ ...settled, payload: payload({ lane: 'interactive', webhookUrl: 'https://hooks.example.com/in' }) });
    expect(own?.url).toBe('https://hooks.example.com/in');

    const failed = imageJobWebhookEvent({ ...settled, outcome: { status: 'failed', reason: 'engine crashed' } }, 1_700_000_009_999);
    expect(failed).toMatchObject({ id: 'evt_imgjob_1_failed', type: 'image.job.failed', createdAt: 1_700_000_009 });
    expect(failed?.data).toMatchObject({ status: 'failed', error: { message: 'engine crashed', code: 'job_failed' } });
  });

  it('announces an expired job as image.job.expired, and a run past its deadline with its own code', () => {
    const settled = { jobId: 'imgjob_4', name: 'image.generate' as const, payload: payload() };
    const expired = imageJobWebhookEvent({ ...settled, outcome: { status: 'expired', reason: expiredReason({ queueWaitMs: 500 }) } }, 1_700_000_009_999);
    expect(expired).toMatchObject({ id: 'evt_imgjob_4_expired', type: 'image.job.expired', data: { status: 'expired', error: { code: 'job_expired' } } });
    const overrun = imageJobWebhookEvent({ ...settled, outcome: { status: 'failed', reason: deadlineExceededReason(2_000) } });
    expect(overrun).toMatchObject({ type: 'image.job.failed', data: { error: { code: 'deadline_exceeded', message: expect.stringContaining('2000 ms') } } });
  });

  it("announces an upstream engine's refusal with the upstream's message and code, not the recorded reason", () => {
    const refused = new ApiErrorJobFailure({ status: 400, type: 'invalid_request_error', message: "Invalid 'n': integer above maximum value.", param: 'n', code: 'integer_above_max_value' });
    const event = imageJobWebhookEvent({ jobId: 'imgjob_5', name: 'image.generate', payload: payload(), outcome: { status: 'failed', reason: refused.message } });
    expect(event?.data.error).toEqual({ message: "Invalid 'n': integer above maximum value.", code: 'integer_above_max_value' });
  });

  describe('through the outbox', () => {
    let connection: RedisClient;
    afterAll(() => connection?.disconnect());
    const redis = useRedisServer();
    let outbox: WebhookOutbox;
    beforeAll(async () => {
      connection = await readyConnection(redis.url);
    });
    beforeEach(() => {
      outbox = new WebhookOutbox({ connection, prefix: uniquePrefix(), config: { endpoints: [{ id: 'ops', url: 'https://ops.example.com/in', secret: newSecret() }] } });
    });
    afterEach(() => outbox.close());
    const queued = async () => (await outbox.jobs.queue(WEBHOOKS_QUEUE).getJobs(['wait'])).map((job) => job.data.event);

    it('emits once per settled job, however often the hook runs again', async () => {
      const hook = imageJobWebhookHook(outbox);
      const settled: SettledJob<ImageJobCatalog> = { jobId: 'imgjob_2', name: 'image.generate', queue: 'images', payload: payload(), outcome: { status: 'cancelled', reason: 'cancelled' } };
      await hook(settled);
      await hook(settled);
      await hook({ ...settled, jobId: 'imgjob_3', payload: payload({ lane: 'interactive' }) });
      expect((await queued()).map((event) => event.id)).toEqual(['evt_imgjob_2_cancelled']);
    });

    it('announces a record the API cancelled, and the same event as the worker would', async () => {
      const record: AnyImageJobRecord = {
        id: 'imgjob_4',
        name: 'image.generate',
        queue: 'images',
        status: 'cancelled',
        progress: 0,
        createdAt: 1_700_000_000_000,
        finishedAt: 1_700_000_001_000,
        attemptsMade: 0,
        payload: payload(),
        error: { message: 'cancelled by request' },
      };
      await imageJobRecordAnnouncer(outbox)(record);
      await imageJobWebhookHook(outbox)({ jobId: 'imgjob_4', name: 'image.generate', queue: 'images', payload: payload(), outcome: { status: 'cancelled', reason: 'x' } });
      const events = await queued();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ id: 'evt_imgjob_4_cancelled', type: 'image.job.cancelled', created_at: 1_700_000_001, data: { id: 'imgjob_4', status: 'cancelled' } });
      await imageJobRecordAnnouncer(outbox)({ ...record, id: 'imgjob_5', status: 'queued' });
      expect(await queued()).toHaveLength(1);
    });
  });
});
