import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { GeneratePayloadSchema } from '@imageforge/jobs';
import type { z } from 'zod';

export const REPO_ROOT = resolve(__dirname, '../../..');
const MAIN = join(REPO_ROOT, 'apps/worker/src/main.ts');

/** A registry file routing one model to `queue`, served by the synthetic engine with `engine` settings. */
export async function writeRegistry(dir: string, queue: string, engine: Record<string, unknown>, model = 'gpt-image-1'): Promise<string> {
  const path = join(dir, `registry-${randomUUID()}.json`);
  await writeFile(path, JSON.stringify({ models: [{ id: model, profile: 'gpt-image', queue, engine: { kind: 'synthetic', ...engine } }] }));
  return path;
}

export function generatePayload(n: number, model = 'gpt-image-1'): z.infer<typeof GeneratePayloadSchema> {
  return {
    requestId: `req-${randomUUID()}`,
    owner: 'test-owner',
    acceptedAt: Date.now(),
    prompt: 'a lighthouse at dusk',
    params: { model, profile: 'gpt-image', n, width: 32, height: 32, quality: 'low', responseFormat: 'b64_json', outputFormat: 'png', background: 'opaque' },
  };
}

export function newJobId(): string {
  return `job-${randomUUID()}`;
}

/** Keys of the objects a local store holds under `prefix`, read from disk rather than through the store. */
export async function listLocalKeys(storageRoot: string, prefix: string): Promise<string[]> {
  const base = join(storageRoot, 'objects');
  const entries = await readdir(join(base, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(base, join(entry.parentPath, entry.name))).sort();
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every pino line printed so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves with the first log line whose `msg` is `message` (and matching `fields`). */
  waitForLog(message: string, timeoutMs: number, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs apps/worker/src/main.ts as its own process, as the stack launcher does, with only `env` set. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr += `${line}\n`;
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  let exitedAlready = false;
  void exited.then(() => {
    exitedAlready = true;
  });
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog: (message, timeoutMs, fields = {}) =>
      waitFor(
        async () => {
          const found = logs.find((log) => log.msg === message && Object.entries(fields).every(([key, value]) => log[key] === value));
          if (!found && exitedAlready) throw new Error(`worker exited before logging "${message}":\n${stderr}`);
          return found;
        },
        timeoutMs,
        `worker log "${message}"\n${stderr}`,
      ),
  };
}
