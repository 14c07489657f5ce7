import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServerProcess } from '@imageforge/embedded-redis';
import type { BenchOptions } from '../bench-options';
import { RedisProbe } from '../stack/redis-probe';

/** What every suite gets from the driver. */
export interface SuiteContext {
  options: BenchOptions;
  /** Workspace root: children run from here so `--import tsx` and workspace packages resolve. */
  repoRoot: string;
  /** Scratch directory of this run (Redis data, local storage, registry files). */
  workDir: string;
  /** Where `--cpu-prof` profiles go. */
  profileDir: string;
  log: (line: string) => void;
}

/**
 * Runs `body` against a fresh redis-server with production settings (AOF everysec,
 * noeviction), so no suite inherits another's retained jobs.
 */
export async function withRedis<T>(context: SuiteContext, name: string, body: (redis: RedisServerProcess, probe: RedisProbe) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(context.workDir, `redis-${name}-`));
  const redis = await RedisServerProcess.start({ appendOnly: true, dataDir });
  const stop = () => redis.stop();
  activeStops.add(stop);
  const probe = await RedisProbe.connect(redis.url);
  try {
    return await body(redis, probe);
  } finally {
    await probe.close();
    await redis.stop();
    activeStops.delete(stop);
  }
}

const activeStops = new Set<() => Promise<void>>();

/** Registers a process to stop if the driver is interrupted; returns the unregister function. */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  activeStops.add(stop);
  return () => activeStops.delete(stop);
}

/** Stops every process the suites started; used on SIGINT/SIGTERM so nothing is left running. */
export async function stopEverything(): Promise<void> {
  await Promise.allSettled([...activeStops].map((stop) => stop()));
  activeStops.clear();
}
