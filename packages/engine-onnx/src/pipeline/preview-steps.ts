/**
 * 0-based step indices after which previews are taken: round(k·steps/(count+1)) steps done,
 * k = 1..count, never the last step; short schedules give fewer.
 */
export function previewStepIndices(steps: number, count: number): number[] {
  const indices = new Set<number>();
  for (let k = 1; k <= count; k++) {
    const done = Math.round((k * steps) / (count + 1));
    if (done >= 1 && done < steps) indices.add(done - 1);
  }
  return [...indices];
}
