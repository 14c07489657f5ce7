import { NormalizedImageParamsSchema } from '@imageforge/contracts';
import {
  deadlineExceededReason,
  endedJobErrorCode,
  expiredReason,
  GeneratePayloadSchema,
  isDeadlineExceededReason,
  isExpiredReason,
  jobDeadlineFor,
  jobDeadlineOf,
} from '../src';

const params = NormalizedImageParamsSchema.parse({
  model: 'gpt-image-1',
  profile: 'gpt-image',
  n: 1,
  width: 64,
  height: 64,
  quality: 'low',
  responseFormat: 'b64_json',
  outputFormat: 'png',
  background: 'opaque',
});

describe(jobDeadlineFor.name, () => {
  const acceptedAt = 1_765_000_000_000;

  it('has none when neither the caller nor the server sets one', () => {
    expect(jobDeadlineFor(undefined, { lane: 'interactive', acceptedAt })).toBeUndefined();
    expect(jobDeadlineFor({ queueWaitMs: { batch: 1_000 } }, { lane: 'async', acceptedAt })).toBeUndefined();
  });

  it("takes the lane's default queue wait, and the caller's own in its place", () => {
    const defaults = { queueWaitMs: { interactive: 5_000, async: 60_000 }, runMs: 30_000 };
    expect(jobDeadlineFor(defaults, { lane: 'interactive', acceptedAt })).toEqual({ startBy: acceptedAt + 5_000, queueWaitMs: 5_000, runMs: 30_000 });
    expect(jobDeadlineFor(defaults, { lane: 'async', acceptedAt, queueWaitMs: 250 })).toEqual({ startBy: acceptedAt + 250, queueWaitMs: 250, runMs: 30_000 });
    expect(jobDeadlineFor({ runMs: 10 }, { lane: 'batch', acceptedAt })).toEqual({ runMs: 10 });
  });
});

describe(jobDeadlineOf.name, () => {
  it('reads the deadline of a payload, and none from an older payload or a malformed one', () => {
    expect(jobDeadlineOf({ deadline: { startBy: 5, queueWaitMs: 5 } })).toEqual({ startBy: 5, queueWaitMs: 5 });
    expect(jobDeadlineOf({ prompt: 'no deadline' })).toBeUndefined();
    expect(jobDeadlineOf({ deadline: { runMs: -1 } })).toBeUndefined();
    expect(jobDeadlineOf(null)).toBeUndefined();
  });

  it('lets an image payload queued before deadlines existed parse as before', () => {
    const older = { requestId: 'req', owner: 'o', acceptedAt: 1, params, prompt: 'p' };
    expect(GeneratePayloadSchema.parse(older).deadline).toBeUndefined();
    expect(GeneratePayloadSchema.parse({ ...older, deadline: { runMs: 100 } }).deadline).toEqual({ runMs: 100 });
  });
});

describe('deadline reasons', () => {
  it('marks expiry and overruns so every reader tells them from other failures, and names the deadline', () => {
    const expired = expiredReason({ startBy: 1, queueWaitMs: 500 });
    expect(isExpiredReason(expired)).toBe(true);
    expect(expired).toContain('500 ms');
    const overrun = deadlineExceededReason(2_000);
    expect(isDeadlineExceededReason(overrun)).toBe(true);
    expect(isExpiredReason(overrun)).toBe(false);
    expect(overrun).toContain('2000 ms');
    expect(endedJobErrorCode({ status: 'expired', reason: expired })).toBe('job_expired');
    expect(endedJobErrorCode({ status: 'failed', reason: overrun })).toBe('deadline_exceeded');
    expect(endedJobErrorCode({ status: 'failed', reason: 'engine crashed' })).toBe('job_failed');
    expect(endedJobErrorCode({ status: 'cancelled', reason: 'cancelled: by request' })).toBe('job_cancelled');
  });
});
