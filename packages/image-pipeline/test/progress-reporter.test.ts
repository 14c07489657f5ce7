import { createProgressReporter } from '../src/progress-reporter';

describe(createProgressReporter.name, () => {
  function steppedReporter() {
    const sent: number[] = [];
    let now = 0;
    const reporter = createProgressReporter((percent) => void sent.push(percent), { minIntervalMs: 250, clock: () => now });
    return {
      sent,
      step(step: number, total: number, at: number) {
        now = at;
        reporter.onEngineProgress({ step, total });
      },
      finish: () => reporter.finish(),
    };
  }

  it('sends nothing in the first interval, then at most one report per interval, and leaves 100 to the completion', async () => {
    const run = steppedReporter();
    run.step(1, 20, 0);
    for (let step = 2; step <= 20; step++) run.step(step, 20, step * 30);
    await run.finish();

    // Steps arrive every 30 ms: one report per 250 ms of them, rising, within the 0-95 inference share.
    expect(run.sent).toEqual([42, 85]);
  });

  it('sends nothing for a job done within one interval', async () => {
    const run = steppedReporter();
    for (let step = 1; step <= 4; step++) run.step(step, 4, step * 10);
    await run.finish();
    expect(run.sent).toEqual([]);
  });

  it('never sends a percentage twice or backwards', async () => {
    const run = steppedReporter();
    run.step(2, 4, 0);
    run.step(1, 4, 1_000);
    run.step(2, 4, 2_000);
    run.step(3, 4, 3_000);
    await run.finish();
    expect(run.sent).toEqual([23, 47, 71]);
  });
});
