import { createRandom } from '@imageforge/engine-synthetic';

/** One fault the chaos run injects, `atMs` after the load starts. */
export type ChaosFault =
  | { kind: 'kill-worker'; atMs: number; worker: number; downMs: number }
  | { kind: 'restart-redis'; atMs: number; downMs: number }
  | { kind: 'storage-outage'; atMs: number; downMs: number };

/**
 * A schedule drawn from `seed`: `faults` events spread over the run (never two at
 * once), cycling through worker kills (SIGKILL, twice as often: they are the common
 * case), Redis restarts (SIGKILL, then the same AOF) and storage outages.
 */
export function planChaos(seed: number, durationMs: number, faults: number, workers: number): ChaosFault[] {
  // The project's one seeded PRNG: a seed names one schedule exactly.
  const random = createRandom(seed);
  const kinds = ['kill-worker', 'restart-redis', 'kill-worker', 'storage-outage'] as const;
  const slot = durationMs / (faults + 1);
  return Array.from({ length: faults }, (_, index): ChaosFault => {
    const atMs = Math.round(slot * (index + 0.5) + random() * slot * 0.5);
    const kind = kinds[index % kinds.length]!;
    switch (kind) {
      case 'kill-worker':
        return { kind, atMs, worker: Math.floor(random() * workers), downMs: 500 + Math.round(random() * 1_500) };
      case 'restart-redis':
        return { kind, atMs, downMs: 500 + Math.round(random() * 1_500) };
      case 'storage-outage':
        return { kind, atMs, downMs: 1_000 + Math.round(random() * 2_000) };
    }
  });
}
