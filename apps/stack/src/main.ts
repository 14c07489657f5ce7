import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RedisServerProcess } from '@imageforge/embedded-redis';
import { ChildService } from './child-service';
import { parseStackEnv } from './stack-config';

/**
 * `pnpm start`: the whole stack on embedded defaults — its own redis-server when
 * REDIS_URL is unset, local file storage under DATA_DIR, one API and one worker.
 */
async function main(): Promise<void> {
  const env = parseStackEnv(process.env);
  const dataDir = resolve(env.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let redis: RedisServerProcess | undefined;
  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    redis = await RedisServerProcess.start({ dataDir: join(dataDir, 'redis'), appendOnly: true });
    redisUrl = redis.url;
    console.log(`[stack] started redis-server on ${redisUrl} (AOF in ${join(dataDir, 'redis')})`);
  }

  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redisUrl,
    STORAGE_LOCAL_DIR: env.STORAGE_LOCAL_DIR ?? join(dataDir, 'objects'),
    STORAGE_SIGNING_SECRET: env.STORAGE_SIGNING_SECRET ?? signingSecret(dataDir),
  };
  const root = resolve(__dirname, '../../..');
  const worker = new ChildService('worker', join(root, 'apps/worker/src/main.ts'), shared);
  const api = new ChildService('api', join(root, 'apps/api/src/main.ts'), { ...shared, PORT: String(env.PORT) });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Stop taking requests first, then let the worker finish or hand back its jobs, then Redis.
    await api.stop(env.SHUTDOWN_TIMEOUT_MS);
    await worker.stop(env.SHUTDOWN_TIMEOUT_MS);
    await redis?.stop();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  void api.exited.then((code) => stop(code ?? 1));
  void worker.exited.then((code) => stop(code ?? 1));
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
