import { auditJobs, type ChaosAudit } from '../chaos/chaos-audit';
import { runChaosLoad, type ChaosLoadResult } from '../chaos/chaos-load';
import { planChaos, type ChaosFault } from '../chaos/chaos-plan';
import { CHAOS_MODEL, ChaosStack, sleep } from '../chaos/chaos-stack';
import { readProcess } from '../processes/process-stats';
import { stopOnInterrupt, type SuiteContext } from './suite-context';

export interface ChaosResult {
  seed: number;
  durationMs: number;
  faults: Array<ChaosFault & { tookMs: number }>;
  load: Omit<ChaosLoadResult, 'asyncAccepted' | 'syncJobIds'> & { asyncAccepted: number; syncJobs: number };
  audit: ChaosAudit;
  rss: { apiBefore: number; apiAfter: number; workersBefore: number; workersAfter: number };
}

const WORKERS = 2;

/**
 * A bounded bad day: async jobs and paced sync callers while workers are SIGKILLed,
 * Redis is SIGKILLed and restarted on its AOF, and storage fails for seconds, on a
 * schedule drawn from a seed. Then every job is audited in Redis and on disk.
 */
export async function runChaosSuite(context: SuiteContext): Promise<ChaosResult> {
  const { sizes } = context.options;
  const seed = sizes.chaosSeed;
  const durationMs = sizes.chaosDurationMs;
  const stack = await ChaosStack.start({ repoRoot: context.repoRoot, workDir: context.workDir, workers: WORKERS, workerConcurrency: 16, delayMsPerImage: 50 });
  const unregister = stopOnInterrupt(() => stack.stop());
  try {
    await waitForService(stack);
    const rss = (pid: number) => readProcess(pid)?.rssBytes ?? 0;
    const before = { api: rss(stack.api.pid), workers: stack.workers.reduce((sum, worker) => sum + rss(worker.pid), 0) };
    const plan = planChaos(seed, durationMs, sizes.chaosFaults, WORKERS);
    context.log(`chaos seed ${seed}: ${plan.map((fault) => `${fault.kind}@${(fault.atMs / 1000).toFixed(1)}s`).join(', ')}`);
    const started = Date.now();
    const faults: ChaosResult['faults'] = [];
    const injecting = (async () => {
      for (const fault of plan) {
        await sleep(Math.max(0, started + fault.atMs - Date.now()));
        const at = Date.now();
        if (fault.kind === 'kill-worker') await stack.killWorker(fault.worker, fault.downMs);
        else if (fault.kind === 'restart-redis') await stack.restartRedis(fault.downMs);
        else await stack.storageOutage(fault.downMs);
        faults.push({ ...fault, tookMs: Date.now() - at });
        context.log(`chaos: ${fault.kind} done (${Date.now() - at} ms)`);
      }
    })();
    const load = await runChaosLoad({
      baseUrl: stack.baseUrl,
      apiKey: stack.apiKey,
      model: CHAOS_MODEL,
      seed,
      asyncJobs: sizes.chaosAsyncJobs,
      asyncSubmitters: 16,
      syncCallers: sizes.chaosSyncCallers,
      durationMs,
      syncPauseMs: 250,
    });
    await injecting;
    const audit = await auditJobs(stack.redisUrl, stack.storageDir, [...load.asyncAccepted, ...load.syncJobIds], 1, 180_000);
    const after = { api: rss(stack.api.pid), workers: stack.workers.reduce((sum, worker) => sum + rss(worker.pid), 0) };
    const { asyncAccepted, syncJobIds, ...rest } = load;
    context.log(
      `chaos: ${audit.jobs} jobs, ${audit.completed} completed, ${audit.failed} failed, ${audit.lost} lost, ${audit.duplicatedOutputs} duplicated; sync ${load.sync.requests} requests, ${load.sync.noAnswer} unanswered`,
    );
    return {
      seed,
      durationMs,
      faults,
      load: { ...rest, asyncAccepted: asyncAccepted.length, syncJobs: new Set(syncJobIds).size },
      audit,
      rss: { apiBefore: before.api, apiAfter: after.api, workersBefore: before.workers, workersAfter: after.workers },
    };
  } finally {
    await stack.stop();
    unregister();
  }
}

async function waitForService(stack: ChaosStack): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    stack.api.assertAlive();
    const ready = await fetch(`${stack.baseUrl}/readyz`).catch(() => undefined);
    if (ready?.ok) return;
    await sleep(200);
  }
  throw new Error(`chaos stack not ready:\n${stack.api.tail()}`);
}
