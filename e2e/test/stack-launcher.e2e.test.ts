import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort, isProcessAlive, RedisClusterProcess } from '@imageforge/testing';

const repoRoot = resolve(__dirname, '../..');

interface RunningStack {
  child: ChildProcess;
  port: number;
  dataDir: string;
  exited: Promise<number | null>;
  output(): string;
  /** The API's and the worker's pids, as the launcher prints them. */
  servicePids(): { api: number; worker: number };
}

/**
 * The launcher as `node …/main.ts`, or as `pnpm start` (the npm-script path, through `sh -c`).
 * It gets a process group of its own, so a test can send SIGINT to the group as a terminal's Ctrl-C does.
 */
async function startStack(how: 'node' | 'pnpm', extraEnv: Record<string, string> = {}): Promise<RunningStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'imageforge-stack-'));
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extraEnv };
  for (const name of ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'QUEUE_PREFIX', 'SHUTDOWN_TIMEOUT_MS', 'STACK_MAX_RESTARTS', 'API_KEYS', 'STORAGE_DRIVER', 'STORAGE_LOCAL_DIR', 'STORAGE_SIGNING_SECRET', 'MODEL_REGISTRY_PATH']) {
    if (!(name in extraEnv)) delete env[name];
  }
  const [command, args] = how === 'node' ? [process.execPath, ['--import', 'tsx', 'apps/stack/src/main.ts']] : ['pnpm', ['start']];
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let ready: Response | undefined;
  for (let i = 0; i < 150 && ready?.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
  }
  if (ready?.status !== 200) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`stack never became ready:\n${output}`);
  }
  return {
    child,
    port,
    dataDir,
    exited,
    output: () => output,
    servicePids() {
      const match = /started worker \(pid (\d+)\) and api \(pid (\d+)/.exec(output);
      if (!match) throw new Error(`launcher printed no pids:\n${output}`);
      return { worker: Number(match[1]), api: Number(match[2]) };
    },
  };
}


/** Waits for the launcher to exit (killing what is left past the deadline) and removes its data. */
async function exitOf(stack: RunningStack, deadlineMs = 20_000): Promise<number | null> {
  const timer = setTimeout(() => {
    try {
      process.kill(-stack.child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }, deadlineMs);
  try {
    return await stack.exited;
  } finally {
    clearTimeout(timer);
    rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

describe('pnpm start: the whole stack from one command', () => {
  it('starts its own redis-server, local storage, the API and a worker, serves a request, and stops cleanly on SIGTERM', async () => {
    const stack = await startStack('node');
    const { dataDir, port } = stack;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256' }),
      });
      expect(response.status).toBe(200);
      const { data } = (await response.json()) as { data: Array<{ url: string }> };
      const image = await fetch(data[0]!.url);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
      expect(existsSync(join(dataDir, 'signing-secret'))).toBe(true);
    } finally {
      stack.child.kill('SIGTERM');
      const code = await exitOf(stack);
      expect({ code, output: code === 0 ? '' : stack.output() }).toEqual({ code: 0, output: '' });
    }
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => 'down')).toBe('down');
  }, 40_000);

  it('exits 0 through pnpm when pnpm is sent SIGTERM, and leaves no service running', async () => {
    const stack = await startStack('pnpm');
    const pids = stack.servicePids();
    stack.child.kill('SIGTERM');
    const code = await exitOf(stack);

    expect({ code, output: code === 0 ? '' : stack.output() }).toEqual({ code: 0, output: '' });
    expect(stack.output()).not.toContain('ELIFECYCLE');
    expect({ api: isProcessAlive(pids.api), worker: isProcessAlive(pids.worker) }).toEqual({ api: false, worker: false });
    expect(await fetch(`http://127.0.0.1:${stack.port}/healthz`).catch(() => 'down')).toBe('down');
  }, 40_000);

  it('on Ctrl-C (SIGINT to the whole process group) lets the worker finish its job and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imageforge-stack-models-'));
    const models = join(dir, 'models.json');
    writeFileSync(models, JSON.stringify({ models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 2_000 } }] }));
    const stack = await startStack('pnpm', { MODEL_REGISTRY_PATH: models });
    try {
      const api = `http://127.0.0.1:${stack.port}/v1/images`;
      // Asynchronous, so that no request of this test is still open when the API closes.
      const accepted = await fetch(`${api}/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ model: 'dall-e-2', prompt: 'a slow lighthouse', size: '256x256' }),
      });
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      let status = '';
      for (let i = 0; i < 100 && status !== 'in_progress'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ({ status } = (await (await fetch(`${api}/jobs/${id}`)).json()) as { status: string });
      }
      expect(status).toBe('in_progress');

      process.kill(-stack.child.pid!, 'SIGINT');
      const code = await exitOf(stack);

      expect({ code, output: code === 0 ? '' : stack.output() }).toEqual({ code: 0, output: '' });
      // Had the worker got the terminal's SIGINT too, the launcher's SIGTERM would make it drop the job.
      expect(stack.output()).not.toContain('second signal');
      expect(stack.output()).not.toContain('ELIFECYCLE');
    } finally {
      if (stack.child.exitCode === null) {
        stack.child.kill('SIGTERM');
        await exitOf(stack);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('restarts a crashed worker while the API keeps serving, and the restarted one takes new jobs', async () => {
    const stack = await startStack('node');
    try {
      const pids = stack.servicePids();
      process.kill(pids.worker, 'SIGKILL');
      let restarted: RegExpExecArray | null = null;
      for (let i = 0; i < 100 && !restarted; i++) {
        expect((await fetch(`http://127.0.0.1:${stack.port}/healthz`)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 50));
        restarted = /restarted worker \(pid (\d+)\)/.exec(stack.output());
      }
      expect(stack.output()).toContain('worker exited unexpectedly with signal SIGKILL; restarting in 1000 ms');
      expect(Number(restarted?.[1])).not.toBe(pids.worker);
      expect(isProcessAlive(pids.api)).toBe(true);
      const response = await fetch(`http://127.0.0.1:${stack.port}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'after the crash', size: '256x256' }),
      });
      expect(response.status).toBe(200);
    } finally {
      stack.child.kill('SIGTERM');
      expect(await exitOf(stack)).toBe(0);
    }
  }, 40_000);

  it('gives up on a service that keeps crashing with one clear line, stops the rest and exits non-zero', async () => {
    const stack = await startStack('node', { STACK_MAX_RESTARTS: '1' });
    const first = stack.servicePids();
    process.kill(first.worker, 'SIGKILL');
    let second: RegExpExecArray | null = null;
    for (let i = 0; i < 100 && !second; i++) {
      await new Promise((r) => setTimeout(r, 50));
      second = /restarted worker \(pid (\d+)\)/.exec(stack.output());
    }
    process.kill(Number(second?.[1]), 'SIGKILL');
    const code = await exitOf(stack);

    expect(code).toBe(1);
    expect(stack.output().match(/giving up/g)).toEqual(['giving up']);
    expect(stack.output()).toContain('worker crashed 2 times within 60 s (last: signal SIGKILL); giving up');
    expect(isProcessAlive(first.api)).toBe(false);
  }, 40_000);

  it('starts no redis-server of its own when REDIS_CLUSTER_NODES names a Redis Cluster, and serves through it', async () => {
    const cluster = await RedisClusterProcess.start();
    try {
      const stack = await startStack('node', { REDIS_CLUSTER_NODES: cluster.nodesSpec });
      try {
        expect(stack.output()).not.toContain('started redis-server');
        expect(existsSync(join(stack.dataDir, 'redis'))).toBe(false);
        const response = await fetch(`http://127.0.0.1:${stack.port}/v1/images/generations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', response_format: 'b64_json' }),
        });
        expect(response.status).toBe(200);
      } finally {
        stack.child.kill('SIGTERM');
        expect(await exitOf(stack)).toBe(0);
      }
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
