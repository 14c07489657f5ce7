import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { FileService } from '@imageforge/files';
import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { useRedisServer } from '@imageforge/testing';
import { createErrorHandler } from '../src/middleware/error-handler.middleware';
import { createFileHandler } from '../src/routes/files.handler';
import { createFileUploadMiddleware } from '../src/uploads/file-upload.middleware';

const redisServer = useRedisServer();

/** The upload route alone over real HTTP, with caps small enough to cross in a test. */
describe('POST /v1/files streaming upload', () => {
  let redis: RedisClient;
  let root: string;
  let storage: LocalObjectStorage;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    redis = createRedisConnection(redisServer.url, { role: 'producer' });
    root = await mkdtemp(join(tmpdir(), 'file-upload-'));
    storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'upload-test-secret-0123' });
    const files = new FileService({ redis, storage, prefix: `upload-${randomUUID()}`, maxBytes: 64 * 1024, batchMaxBytes: 1024 });
    const app = express();
    app.use((_req, res, next) => {
      res.locals.owner = 'owner-1';
      next();
    });
    app.post('/v1/files', createFileUploadMiddleware(files), createFileHandler({ files }));
    app.use(createErrorHandler(pino({ level: 'silent' })));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/files`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await redis.quit();
    await rm(root, { recursive: true, force: true });
  });

  const storedFiles = async () => (await storage.list('files/', { limit: 100 })).objects.map((object) => object.key);
  const leftoverTmp = async () => readdir(join(root, 'tmp')).catch(() => []);
  const form = (parts: Array<[string, string | { bytes: Buffer; name: string }]>) => {
    const body = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') body.append(name, value);
      else body.append(name, new Blob([value.bytes]), value.name);
    }
    return body;
  };
  const post = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as { error?: { message: string; param: string | null }; id?: string } };
  };

  afterEach(async () => {
    // A refused upload is answered as soon as it is refused; its temp file goes as the write unwinds.
    for (let i = 0; i < 100 && (await leftoverTmp()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await leftoverTmp()).toEqual([]);
  });

  it('stores a file whose purpose comes after it, and one whose purpose comes first', async () => {
    const late = await post(form([['file', { bytes: Buffer.from('{}\n'), name: 'a.jsonl' }], ['purpose', 'batch']]));
    const early = await post(form([['purpose', 'vision'], ['file', { bytes: Buffer.from('png'), name: 'a.png' }]]));
    expect([late.status, early.status]).toEqual([200, 200]);
    expect((await storedFiles()).sort()).toEqual([`files/${late.body.id}`, `files/${early.body.id}`].sort());
    for (const id of [late.body.id, early.body.id]) await storage.delete(`files/${id}`);
  });

  it.each([
    ['after', [['file', { bytes: Buffer.alloc(200 * 1024, 7), name: 'big.bin' }], ['purpose', 'user_data']]],
    ['before', [['purpose', 'user_data'], ['file', { bytes: Buffer.alloc(200 * 1024, 7), name: 'big.bin' }]]],
    ['before, batch cap', [['purpose', 'batch'], ['file', { bytes: Buffer.alloc(2048, 7), name: 'big.jsonl' }]]],
    ['after, batch cap', [['file', { bytes: Buffer.alloc(2048, 7), name: 'big.jsonl' }], ['purpose', 'batch']]],
  ] as const)('answers a file over the cap (purpose %s) with OpenAI 400 and keeps nothing', async (_label, parts) => {
    const answer = await post(form(parts as unknown as Array<[string, string | { bytes: Buffer; name: string }]>));
    expect(answer).toEqual({ status: 400, body: { error: { message: 'File is too large.', type: 'invalid_request_error', param: null, code: null } } });
    expect(await storedFiles()).toEqual([]);
  });

  it('deletes a stored file when a field after it is refused', async () => {
    const wrong = await post(form([['file', { bytes: Buffer.from('x'), name: 'x.txt' }], ['purpose', 'answers']]));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.param).toBe('purpose');
    const unknown = await post(form([['file', { bytes: Buffer.from('x'), name: 'x.txt' }], ['purpose', 'user_data'], ['colour', 'red']]));
    expect(unknown.body.error).toMatchObject({ message: "Unknown parameter: 'colour'.", param: 'colour' });
    const twice = await post(form([['purpose', 'user_data'], ['file', { bytes: Buffer.from('1'), name: '1.txt' }], ['file', { bytes: Buffer.from('2'), name: '2.txt' }]]));
    expect(twice.status).toBe(400);
    expect(twice.body.error?.param).toBe('file');
    expect(await storedFiles()).toEqual([]);
  });

  it('refuses a file part under another name and a body that is not a form', async () => {
    const other = await post(form([['purpose', 'vision'], ['image', { bytes: Buffer.from('png'), name: 'a.png' }]]));
    expect(other).toMatchObject({ status: 400, body: { error: { message: "Unknown parameter: 'image'.", param: 'image' } } });
    const json = await post(JSON.stringify({ purpose: 'batch' }), { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(json.body.error?.message).toMatch(/^Invalid Content-Type header \(application\/json\), expected multipart\/form-data/);
    expect(await storedFiles()).toEqual([]);
  });

  it('keeps nothing of an upload the client abandons halfway', async () => {
    const boundary = 'x-boundary-0123';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`;
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    request.on('error', () => undefined);
    request.write(head);
    request.write(Buffer.alloc(32 * 1024, 1));
    // Give the server time to start storing the part before the connection drops.
    await new Promise((resolve) => setTimeout(resolve, 100));
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await storedFiles()).toEqual([]);
  });
});
