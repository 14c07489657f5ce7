import { percentileOfSorted, shiftSummary, summarizeLatencies } from '../src/stats/latency-summary';

describe(summarizeLatencies.name, () => {
  it('reports nearest-rank percentiles that were actually observed', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    const summary = summarizeLatencies(samples);
    expect(summary).toMatchObject({ count: 100, min: 1, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summary.mean).toBeCloseTo(50.5);
  });

  it('leaves the caller samples in their original order', () => {
    const samples = [3, 1, 2];
    summarizeLatencies(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('takes the single sample as every percentile of a one-request run', () => {
    expect(summarizeLatencies([7.5])).toMatchObject({ count: 1, p50: 7.5, p99: 7.5, max: 7.5 });
  });

  it('gives NaN rather than zero when nothing was measured', () => {
    const summary = summarizeLatencies([]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeNaN();
  });

  it('puts p99 of 1,000 samples on the 990th smallest', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, index) => index + 1);
    expect(percentileOfSorted(sorted, 99)).toBe(990);
    expect(percentileOfSorted(sorted, 99.9)).toBe(999);
  });
});

describe(shiftSummary.name, () => {
  it('subtracts a deliberate delay from every latency but keeps the count', () => {
    const shifted = shiftSummary(summarizeLatencies([2001, 2010, 2050]), 2000);
    expect(shifted).toMatchObject({ count: 3, min: 1, p50: 10, max: 50 });
  });
});
