import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RedisServerProcess } from '@imageforge/embedded-redis';
import { describeExit } from './child-service';
import { SupervisedService } from './supervised-service';
import { parseStackEnv } from './stack-config';

/**
 * `pnpm start`: the whole stack on embedded defaults — its own redis-server when
 * neither REDIS_URL nor REDIS_CLUSTER_NODES is set, local file storage under
 * DATA_DIR, one API and one worker.
 */
async function main(): Promise<void> {
  const env = parseStackEnv(process.env);
  const dataDir = resolve(env.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let redis: RedisServerProcess | undefined;
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    // Its own process group, like the API and the worker: Ctrl-C must not stop it before them.
    redis = await RedisServerProcess.start({ dataDir: join(dataDir, 'redis'), appendOnly: true, detached: true });
    console.log(`[stack] started redis-server on ${redis.url} (AOF in ${join(dataDir, 'redis')})`);
  }

  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    ...(redis ? { REDIS_URL: redis.url } : {}),
    STORAGE_LOCAL_DIR: env.STORAGE_LOCAL_DIR ?? join(dataDir, 'objects'),
    STORAGE_SIGNING_SECRET: env.STORAGE_SIGNING_SECRET ?? signingSecret(dataDir),
  };
  const root = resolve(__dirname, '../../..');
  let redisStopped = false;
  const policy = { maxRestarts: env.STACK_MAX_RESTARTS, windowMs: env.STACK_RESTART_WINDOW_MS, initialDelayMs: 1_000, maxDelayMs: 30_000 };
  const log = (line: string) => console.log(`[stack] ${line}`);
  const services: SupervisedService[] = [];

  let stopping = false;
  /** Stops everything in order; exits `code`, or non-zero if a service did not stop cleanly. */
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    let exitCode = code;
    log(`${reason}; stopping`);
    // Stop taking requests first, then let the worker finish or hand back its jobs, then Redis.
    for (const service of services) {
      const exit = await service.stop(env.SHUTDOWN_TIMEOUT_MS);
      // Dying of the SIGTERM it was sent means it was still loading its code, before its handlers: nothing was in flight.
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
        console.error(`[stack] ${service.name} stopped with ${describeExit(exit)}`);
        if (exitCode === 0) exitCode = 1;
      }
    }
    await redis?.stop();
    redisStopped = true;
    log(`stopped${exitCode === 0 ? '' : ` (exit code ${exitCode})`}`);
    process.exit(exitCode);
  };

  const supervise = (name: string, entry: string, serviceEnv: NodeJS.ProcessEnv) =>
    new SupervisedService({ name, entry: join(root, entry), env: serviceEnv, policy, log, onGiveUp: (exit) => void stop(`${name} kept crashing`, exit.code || 1) });
  const api = supervise('api', 'apps/api/src/main.ts', { ...shared, PORT: String(env.PORT) });
  const worker = supervise('worker', 'apps/worker/src/main.ts', shared);
  services.push(api, worker);
  // The children run in process groups of their own, so nothing else takes them down with the launcher.
  process.on('exit', () => {
    for (const service of services) service.kill();
    if (redis?.pid && !redisStopped) {
      try {
        process.kill(redis.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  log(`started worker (pid ${worker.pid}) and api (pid ${api.pid}, port ${env.PORT})`);

  // A repeated signal (pnpm passes the terminal's SIGINT on as a second one) changes nothing.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void stop(`received ${signal}`, 0));
}

/** Kept on disk so signed links stay valid across restarts. */
function signingSecret(dataDir: string): string {
  const path = join(dataDir, 'signing-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
