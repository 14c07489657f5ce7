import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort } from '@imageforge/testing';

const repoRoot = resolve(__dirname, '../..');

describe('pnpm start: the whole stack from one command', () => {
  it('starts its own redis-server, local storage, the API and a worker, serves a request, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'imageforge-stack-'));
    const port = await findFreePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const name of ['REDIS_URL', 'API_KEYS', 'STORAGE_DRIVER', 'STORAGE_LOCAL_DIR', 'STORAGE_SIGNING_SECRET', 'MODEL_REGISTRY_PATH']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/stack/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 150 && ready?.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      }
      expect(ready?.status).toBe(200);
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
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    }
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => 'down')).toBe('down');
  }, 40_000);
});
