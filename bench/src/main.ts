import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseBenchOptions, SUITE_NAMES, type SuiteName } from './bench-options';
import type { BenchResults, SuiteOutcome } from './bench-results';
import { renderBenchmarkReport, goalsTable } from './report/benchmark-report';
import { evaluateGoals } from './report/goal-verdicts';
import { describeMachine } from './report/machine-info';
import { runAsyncSuite } from './suites/async-suite';
import { runBatchSuite } from './suites/batch-suite';
import { runChaosSuite } from './suites/chaos-suite';
import { runBaselineSuite } from './suites/baseline-suite';
import { runBatchingSuite } from './suites/batching-suite';
import { runLimitsSuite } from './suites/limits-suite';
import { runLongJobsSuite } from './suites/long-jobs-suite';
import { runMemorySuite } from './suites/memory-suite';
import { runOnnxSuite } from './suites/onnx-suite';
import { runOpsCostSuite } from './suites/ops-cost-suite';
import { runPipelineSuite } from './suites/pipeline-suite';
import { stopEverything, type SuiteContext } from './suites/suite-context';
import { runStreamingSuite } from './suites/streaming-suite';
import { runSyncSuite } from './suites/sync-suite';
import { runUploadsSuite } from './suites/uploads-suite';

const repoRoot = resolve(__dirname, '../..');

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

async function outcome<T>(name: string, context: SuiteContext, run: () => Promise<T>): Promise<SuiteOutcome<T>> {
  const started = Date.now();
  context.log(`— ${name} —`);
  try {
    const result = await run();
    context.log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { status: 'measured', ...result };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
    context.log(`${name} not measured: ${reason}`);
    return { status: 'not measured', reason };
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), 'imageforge-bench-'));
  const resultsDir = join(repoRoot, 'bench/results');
  const profileDir = join(resultsDir, 'profiles');
  mkdirSync(resultsDir, { recursive: true });
  const context: SuiteContext = { options, repoRoot, workDir, profileDir, log: (line) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`) };
  const interrupt = () => void stopEverything().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const runners: Record<SuiteName, (context: SuiteContext) => Promise<object>> = {
    baseline: runBaselineSuite,
    sync: runSyncSuite,
    async: runAsyncSuite,
    long: runLongJobsSuite,
    memory: runMemorySuite,
    uploads: runUploadsSuite,
    onnx: runOnnxSuite,
    chaos: runChaosSuite,
    batch: runBatchSuite,
    limits: runLimitsSuite,
    streaming: runStreamingSuite,
    pipeline: runPipelineSuite,
    batching: runBatchingSuite,
    ops: runOpsCostSuite,
  };
  const partial: Omit<BenchResults, 'goals' | 'finishedAt'> = {
    startedAt: startedAt.toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine: describeMachine(redisVersion()),
  };
  const measured: Partial<Record<SuiteName, SuiteOutcome<object>>> = {};
  try {
    for (const name of options.only) measured[name] = await outcome(name, context, () => runners[name](context));
  } finally {
    await stopEverything();
    rmSync(workDir, { recursive: true, force: true });
  }

  const withoutGoals = { ...partial, ...measured, finishedAt: new Date().toISOString() } as Omit<BenchResults, 'goals'>;
  const results: BenchResults = { ...withoutGoals, goals: evaluateGoals(withoutGoals) };
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const jsonPath = join(resultsDir, `bench-${stamp}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const report = renderBenchmarkReport(results);
  const docsPath = join(repoRoot, 'docs/benchmarks.md');
  // Only a full, unprofiled run of every suite replaces the published figures: a profiled run is
  // slower than a real one, and a partial or --quick run would drop or shrink the other sections.
  const publish = !options.cpuProfile && !options.quick && SUITE_NAMES.every((name) => options.only.includes(name));
  if (publish) writeFileSync(docsPath, report);
  console.log(`\n${report.slice(report.indexOf('## Goals'), report.indexOf('## Method'))}`);
  console.log(`Goals:\n${goalsTable(results)}\n`);
  console.log(`wrote ${publish ? `${relative(repoRoot, docsPath)} and ` : ''}${relative(repoRoot, jsonPath)}`);
  if (options.cpuProfile) console.log('profiles: pnpm exec tsx bench/src/profile-report.ts');
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopEverything();
  process.exit(1);
});
