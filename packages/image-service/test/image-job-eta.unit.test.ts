import type { AnyImageJobRecord, ImageJobPayload } from '@imageforge/jobs';
import { dallE2Params } from '@imageforge/testing';
import { estimateImageJobTimes, etaModels } from '../src';

const NOW = 1_800_000_000_000;

function payload(model: string, n = 1): ImageJobPayload<'image.generate'> {
  return { requestId: `req_${model}_${n}`, owner: 'o', acceptedAt: NOW, params: dallE2Params({ model, n }), prompt: 'p' };
}

function record(status: AnyImageJobRecord['status'], job = payload('fast'), startedAt?: number): AnyImageJobRecord {
  return { id: 'imgjob_1', name: 'image.generate', queue: 'images', status, progress: 0, createdAt: NOW, attemptsMade: 0, payload: job, ...(startedAt ? { startedAt } : {}) } as AnyImageJobRecord;
}

const pace = new Map([
  ['fast', 1],
  ['slow', 4],
]);

describe(estimateImageJobTimes.name, () => {
  it('starts a job at the head of an idle lane now and finishes it after its own images', () => {
    const eta = estimateImageJobTimes({ record: record('queued', payload('fast', 3)), standing: { position: 0, ahead: [], running: [] }, secondsPerImage: pace, now: NOW });
    expect(eta).toEqual({ startAt: NOW, finishAt: NOW + 3_000 });
  });

  it('waits for the earliest slot to free after the jobs ahead take theirs', () => {
    // Two slots: one frees in 1 s, the other in 4 s. Ahead: 2 s of work takes the first
    // slot (free at +3 s), so this job starts at +3 s on it.
    const standing = {
      position: 1,
      ahead: [payload('fast', 2)],
      running: [
        { payload: payload('fast', 2), startedAt: NOW - 1_000 },
        { payload: payload('slow', 1), startedAt: NOW },
      ],
    };
    expect(estimateImageJobTimes({ record: record('queued'), standing, secondsPerImage: pace, now: NOW })).toEqual({ startAt: NOW + 3_000, finishAt: NOW + 4_000 });
  });

  it('spreads the unsampled jobs ahead over the lane’s slots at the sampled jobs’ average cost', () => {
    const standing = { position: 11, ahead: [payload('slow')], running: [{ payload: payload('fast'), startedAt: NOW }, { payload: payload('fast'), startedAt: NOW }] };
    // Slots free at +1 s each; the sampled slow job takes one to +5 s; the other is earliest
    // at +1 s, and 10 more jobs at 4 s over 2 slots add 20 s.
    expect(estimateImageJobTimes({ record: record('queued'), standing, secondsPerImage: pace, now: NOW }).startAt).toBe(NOW + 21_000);
  });

  it('treats an overdue running job as finishing now, and an unmeasured model ahead as costing what this one does', () => {
    const standing = { position: 1, ahead: [payload('unmeasured', 2)], running: [{ payload: payload('slow'), startedAt: NOW - 60_000 }] };
    expect(estimateImageJobTimes({ record: record('queued'), standing, secondsPerImage: pace, now: NOW })).toEqual({ startAt: NOW + 2_000, finishAt: NOW + 3_000 });
  });

  it('gives a running job its finish only, and never one in the past', () => {
    expect(estimateImageJobTimes({ record: record('in_progress', payload('slow', 2), NOW - 1_000), standing: null, secondsPerImage: pace, now: NOW })).toEqual({
      startAt: null,
      finishAt: NOW + 7_000,
    });
    expect(estimateImageJobTimes({ record: record('in_progress', payload('fast'), NOW - 9_000), standing: null, secondsPerImage: pace, now: NOW }).finishAt).toBe(NOW);
  });

  it('estimates nothing for a model never measured, a job not waiting in its lane, or a finished one', () => {
    const idle = { position: 0, ahead: [], running: [] };
    expect(estimateImageJobTimes({ record: record('queued', payload('unmeasured')), standing: idle, secondsPerImage: pace, now: NOW })).toEqual({ startAt: null, finishAt: null });
    expect(estimateImageJobTimes({ record: record('queued'), standing: null, secondsPerImage: pace, now: NOW })).toEqual({ startAt: null, finishAt: null });
    expect(estimateImageJobTimes({ record: record('succeeded'), standing: null, secondsPerImage: pace, now: NOW })).toEqual({ startAt: null, finishAt: null });
  });

  it('names each model an estimate reads once', () => {
    const standing = { position: 2, ahead: [payload('slow'), payload('fast')], running: [{ payload: payload('slow'), startedAt: NOW }] };
    expect(etaModels(record('queued'), standing).sort()).toEqual(['fast', 'slow']);
  });
});
