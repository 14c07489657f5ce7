import { SeededNoise } from '../src/noise';

function moments(values: Float32Array): { mean: number; variance: number } {
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  const mean = sum / values.length;
  return { mean, variance: sumSquares / values.length - mean * mean };
}

describe(SeededNoise.name, () => {
  it('repeats the same sequence for the same seed', () => {
    expect(new SeededNoise(42).randn(1000)).toEqual(new SeededNoise(42).randn(1000));
  });

  it('gives different sequences for nearby seeds and for seeds that differ only above 2^32', () => {
    const a = new SeededNoise(1).randn(64);
    expect(a).not.toEqual(new SeededNoise(2).randn(64));
    expect(new SeededNoise(7).randn(64)).not.toEqual(new SeededNoise(7 + 2 ** 32).randn(64));
  });

  it('does not depend on how the stream is split into calls', () => {
    const whole = new SeededNoise(9).randn(11);
    const chunked = new SeededNoise(9);
    const parts = [chunked.randn(3), chunked.randn(1), chunked.randn(0), chunked.randn(7)];
    expect(Float32Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(whole);
  });

  it('draws standard normal samples: mean near 0, variance near 1, symmetric tails', () => {
    const samples = new SeededNoise(123456789).randn(100_000);
    const { mean, variance } = moments(samples);
    // Standard errors over 100k samples are ~0.003 (mean) and ~0.0045 (variance).
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    let beyondTwo = 0;
    let nonFinite = 0;
    for (const v of samples) {
      if (!Number.isFinite(v)) nonFinite++;
      if (Math.abs(v) > 2) beyondTwo++;
    }
    expect(nonFinite).toBe(0);
    // P(|z| > 2) = 0.0455 for a standard normal.
    expect(beyondTwo / samples.length).toBeGreaterThan(0.0405);
    expect(beyondTwo / samples.length).toBeLessThan(0.0505);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => new SeededNoise(-1)).toThrow(RangeError);
    expect(() => new SeededNoise(1.5)).toThrow(RangeError);
  });
});
