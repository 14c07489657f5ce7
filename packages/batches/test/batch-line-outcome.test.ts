import { lineOutcomeOf } from '../src/batch-record';

describe(lineOutcomeOf.name, () => {
  it('counts a line job that expired unstarted as failed, since a batch counts only completed, failed and cancelled lines', () => {
    expect(['succeeded', 'failed', 'cancelled', 'expired'].map((status) => lineOutcomeOf(status as Parameters<typeof lineOutcomeOf>[0]))).toEqual([
      'completed',
      'failed',
      'cancelled',
      'failed',
    ]);
  });
});
