import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { sendRaw } from '@imageforge/testing';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { countAllJobs } from './support/queue-inspector';
import { makePng } from './support/test-images';

const logLines: Array<Record<string, unknown>> = [];
const apiLogger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk))), done()) }));

/** Parsers below our code, storage and Redis faults: each a 4xx or a retryable 503 in OpenAI's shape, never a 500. */
describe('bad requests and faults on the way in', () => {
  const stack = useImageStack({ withoutWorker: true, apiLogger });
  const port = () => Number(new URL(stack.url).port);
  const objectsDir = () => join(stack.dir, 'objects');

  const raw = (head: string, body: Buffer = Buffer.alloc(0)) =>
    sendRaw(port(), Buffer.concat([Buffer.from(`${head}\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer sk-test-0123456789abcdef\r\nContent-Length: ${body.length}\r\n\r\n`), body]));

  function expectOpenAiError(answer: Awaited<ReturnType<typeof sendRaw>>, status: number): Record<string, unknown> {
    if (answer === 'closed') throw new Error('the server closed the connection without answering');
    expect(answer.status).toBe(status);
    expect(answer.headers['x-request-id']).toMatch(/\S/);
    const { error } = JSON.parse(answer.body.toString()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error', code: expect.any(String) });
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    return error;
  }

  it.each([
    ['a body that is not really gzip', 'gzip', Buffer.from('{"prompt":"a cat"}')],
    ['a gzip stream cut short', 'gzip', gzipSync(Buffer.from(JSON.stringify({ prompt: 'a cat', size: '256x256' }))).subarray(0, 12)],
    ['a body that is not really deflate', 'deflate', Buffer.from('plain text')],
    ['a body that is not really brotli', 'br', Buffer.from('plain text')],
  ])('answers %s with 400 in OpenAI shape', async (_what, encoding, body) => {
    const answer = await raw(`POST /v1/images/generations HTTP/1.1\r\nContent-Type: application/json\r\nContent-Encoding: ${encoding}`, body);
    expectOpenAiError(answer, 400);
  });

  it.each(['/v1/images/jobs/%', '/v1/images/jobs/%E0%A4%A', '/v1/images/jobs/%zz/cancel'])('answers a path that does not percent-decode, %s, with 400', async (path) => {
    const method = path.endsWith('/cancel') ? 'POST' : 'GET';
    expectOpenAiError(await raw(`${method} ${path} HTTP/1.1`), 400);
  });

  it('answers headers over Node\'s limit with 431 and a body in OpenAI shape', async () => {
    expectOpenAiError(await raw(`GET /v1/models HTTP/1.1\r\nX-Huge: ${'h'.repeat(20_000)}`), 431);
  });

  it('logs a client that hangs up mid-upload at info level, with its request id, not as an error', async () => {
    logLines.length = 0;
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: port() });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /v1/images/edits HTTP/1.1\r\nHost: x\r\nx-request-id: req-hangs-up\r\nAuthorization: Bearer sk-test-0123456789abcdef\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${'x'.repeat(5_000)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    socket.destroy();
    for (let i = 0; i < 50 && !logLines.some((line) => line.requestId === 'req-hangs-up'); i++) await new Promise((resolve) => setTimeout(resolve, 20));

    const line = logLines.find((entry) => entry.requestId === 'req-hangs-up');
    expect(line).toMatchObject({ level: 30, msg: 'client went away before its request was read' });
    expect(logLines.filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  });

  it('reports storage that cannot be written as not ready, answers edits 503 retryable, and queues nothing', async () => {
    const edit = async () => {
      const form = new FormData();
      form.append('image', new Blob([await makePng(64, 64)], { type: 'image/png' }), 'a.png');
      form.append('prompt', 'add a moon');
      form.append('model', 'gpt-image-1');
      return stack.request('/v1/images/edits', { method: 'POST', body: form, headers: { prefer: 'respond-async' } });
    };
    const jobsBefore = await countAllJobs(stack.redis.target);
    mkdirSync(objectsDir(), { recursive: true });
    // Root ignores permissions, so the store is broken the way a failed disk is: its directory is a file.
    renameSync(objectsDir(), `${objectsDir()}.away`);
    writeFileSync(objectsDir(), 'not a directory');
    try {
      const ready = await stack.request('/readyz');
      expect(ready.status).toBe(503);
      expect((await bodyOf(ready)).checks.storage.status).toBe('down');

      const refused = await edit();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('x-should-retry')).toBe('true');
      expect((await bodyOf(refused)).error).toMatchObject({ type: 'server_error', code: 'storage_unavailable' });
      expect(await countAllJobs(stack.redis.target)).toBe(jobsBefore);
    } finally {
      rmSync(objectsDir(), { force: true });
      renameSync(`${objectsDir()}.away`, objectsDir());
    }
    // The probe's verdict stands a few seconds, so a busy /readyz does not write an object per call.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    expect((await stack.request('/readyz')).status).toBe(200);
    expect((await edit()).status).toBe(202);
  }, 20_000);

  it('takes back the inputs of an edit whose job could not be queued (Redis down)', async () => {
    await stack.redis.server.stop();
    try {
      const form = new FormData();
      form.append('image[]', new Blob([await makePng(64, 64)], { type: 'image/png' }), 'a.png');
      form.append('image[]', new Blob([await makePng(64, 64)], { type: 'image/png' }), 'b.png');
      form.append('prompt', 'combine them');
      const before = listJobObjects(objectsDir());
      const response = await stack.request('/v1/images/edits', { method: 'POST', body: form });
      expect(response.status).toBe(503);
      expect(listJobObjects(objectsDir())).toEqual(before);
    } finally {
      await stack.restartRedis();
    }
  });
});

function listJobObjects(root: string): string[] {
  const jobs = join(root, 'objects', 'jobs');
  if (!existsSync(jobs)) return [];
  return readdirSync(jobs, { recursive: true }).map(String).sort();
}

