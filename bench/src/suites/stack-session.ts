import { join } from 'node:path';
import type { RedisServerProcess } from '@imageforge/embedded-redis';
import type { HttpRunResult, ProcessUsage } from '../bench-results';
import type { ClosedLoopResult } from '../load/closed-loop';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import { ProcessSampler } from '../processes/process-stats';
import { RpcChild } from '../processes/rpc-child';
import { AppStack, BENCH_SIZE, type BenchModel } from '../stack/app-stack';
import type { RedisProbe } from '../stack/redis-probe';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';

/** Everything a service suite drives: Redis, the API and worker processes, the load generator. */
export interface StackSession {
  redis: RedisServerProcess;
  probe: RedisProbe;
  stack: AppStack;
  load: RpcChild<LoadGeneratorMethods>;
  sampler: ProcessSampler;
  /** Request body for `model` at the bench size in the given format. */
  body: (model: string, format: GenerationBody['response_format']) => GenerationBody;
  /** Attaches API and worker CPU/RSS over a run's measured stretch. */
  withUsage: (label: string, run: ClosedLoopResult) => HttpRunResult;
}

/** Options for {@link withStack}. */
export interface StackSessionOptions {
  name: string;
  models: BenchModel[];
  workerConcurrency: number;
}

/** Starts a fresh Redis, API, worker and load generator; stops them all when `body` settles. */
export async function withStack<T>(context: SuiteContext, options: StackSessionOptions, body: (session: StackSession) => Promise<T>): Promise<T> {
  return withRedis(context, options.name, async (redis, probe) => {
    const stack = await AppStack.start({
      name: options.name,
      repoRoot: context.repoRoot,
      workDir: context.workDir,
      redisUrl: redis.url,
      models: options.models,
      workerConcurrency: options.workerConcurrency,
      profileDir: context.options.cpuProfile ? context.profileDir : undefined,
    });
    const unregister = stopOnInterrupt(() => stack.stop());
    let load: RpcChild<LoadGeneratorMethods> | undefined;
    const sampler = new ProcessSampler({ api: stack.api.pid, worker: stack.worker.pid });
    try {
      load = await RpcChild.fork<LoadGeneratorMethods>('load-generator', join(__dirname, '../load/load-generator.child.ts'), { cwd: context.repoRoot });
      const bodyFor = (model: string, format: GenerationBody['response_format']): GenerationBody => ({
        model,
        prompt: 'a lighthouse on a cliff at dusk, oil painting',
        size: BENCH_SIZE,
        n: 1,
        response_format: format,
      });
      const first = options.models[0];
      if (!first) throw new Error('a stack needs at least one model');
      const readiness = { baseUrl: stack.baseUrl, apiKey: stack.apiKey, body: bodyFor(first.id, 'b64_json'), timeoutMs: 30_000, deadlineMs: 60_000 };
      try {
        await load.call('ready', readiness, 70_000);
      } catch (error) {
        stack.api.assertAlive();
        stack.worker.assertAlive();
        throw new Error(`${(error as Error).message}\napi: ${stack.api.tail(5)}\nworker: ${stack.worker.tail(5)}`);
      }
      sampler.start();
      const usage = (name: string, run: ClosedLoopResult): ProcessUsage | undefined => sampler.usage(name, run.measuredFrom, run.measuredTo);
      const session: StackSession = {
        redis,
        probe,
        stack,
        load,
        sampler,
        body: bodyFor,
        withUsage: (label, run) => ({ label, ...run, api: usage('api', run), worker: usage('worker', run) }),
      };
      const result = await body(session);
      stack.api.assertAlive();
      stack.worker.assertAlive();
      return result;
    } finally {
      sampler.stop();
      await load?.stop();
      await stack.stop();
      unregister();
    }
  });
}
