import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI, { toFile, type APIError } from 'openai';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

const OTHER_KEY = 'sk-other-0123456789abcdef';
const THIRTY_DAYS = 2_592_000;

describe.each(['local', 's3'] as const)('the Files API through the official openai client (%s storage)', (storage) => {
  const stack = useImageStack({ storage, apiKeys: [API_KEY, OTHER_KEY], withoutWorker: true });
  const client = (apiKey = API_KEY) => new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  const jsonl = (lines: number, marker = 'x') =>
    Buffer.from(Array.from({ length: lines }, (_, i) => JSON.stringify({ custom_id: `${marker}-${i}`, method: 'POST', url: '/v1/images/generations', body: { prompt: 'a fox' } })).join('\n') + '\n');
  const contentOf = async (id: string, apiKey = API_KEY) => Buffer.from(await (await client(apiKey).files.content(id)).arrayBuffer());

  it('uploads a .jsonl batch file, retrieves it and reads back the same bytes, with a 30 day expiry', async () => {
    const bytes = jsonl(3);
    const before = Math.floor(Date.now() / 1000);
    const file = await client().files.create({ file: await toFile(bytes, 'requests.jsonl'), purpose: 'batch' });

    expect(file).toEqual({
      id: expect.stringMatching(/^file-[A-Za-z0-9]+$/),
      object: 'file',
      bytes: bytes.length,
      created_at: expect.any(Number),
      expires_at: file.created_at + THIRTY_DAYS,
      filename: 'requests.jsonl',
      purpose: 'batch',
      status: 'processed',
      status_details: null,
    });
    expect(file.created_at).toBeGreaterThanOrEqual(before);
    expect(await client().files.retrieve(file.id)).toEqual(file);
    expect((await contentOf(file.id)).equals(bytes)).toBe(true);
  });

  it('uploads a PNG for vision that never expires, and a 6 MB file that streams through in parts', async () => {
    const png = await makePng(64, 64);
    const image = await client().files.create({ file: await toFile(png, 'cat.png', { type: 'image/png' }), purpose: 'vision' });
    expect(image).toMatchObject({ bytes: png.length, filename: 'cat.png', purpose: 'vision', expires_at: null });
    expect((await contentOf(image.id)).equals(png)).toBe(true);

    const large = randomBytes(6 * 1024 * 1024 + 5);
    const data = await client().files.create({ file: await toFile(large, 'blob.bin'), purpose: 'user_data' });
    expect(data.bytes).toBe(large.length);
    expect((await contentOf(data.id)).equals(large)).toBe(true);
  });

  it('sets expires_at from expires_after', async () => {
    const file = await client().files.create({ file: await toFile(Buffer.from('notes'), 'notes.txt'), purpose: 'user_data', expires_after: { anchor: 'created_at', seconds: 3600 } });
    expect(file.expires_at).toBe(file.created_at + 3600);
    expect((await client().files.retrieve(file.id)).expires_at).toBe(file.created_at + 3600);
  });

  it('lists with a limit and cursor pages, both orders, and auto-paginates through every file', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.push((await client().files.create({ file: await toFile(Buffer.from(`eval ${i}`), `eval-${i}.jsonl`), purpose: 'evals' })).id);
      // created_at is in seconds; the list also orders within a second, so no wait is needed.
    }
    const first = await client().files.list({ purpose: 'evals', limit: 2, order: 'asc' });
    expect(first.data.map((file) => file.id)).toEqual(created.slice(0, 2));
    expect(first.has_more).toBe(true);
    const raw = await bodyOf(await stack.request(`/v1/files?purpose=evals&limit=2&order=asc&after=${created[1]}`));
    expect(raw).toMatchObject({ object: 'list', first_id: created[2], last_id: created[3], has_more: true });

    const ascending: string[] = [];
    for await (const file of client().files.list({ purpose: 'evals', limit: 2, order: 'asc' })) ascending.push(file.id);
    expect(ascending).toEqual(created);
    const descending: string[] = [];
    for await (const file of client().files.list({ purpose: 'evals', limit: 3 })) descending.push(file.id);
    expect(descending).toEqual([...created].reverse());
  });

  it('deletes a file, after which it is 404 everywhere', async () => {
    const file = await client().files.create({ file: await toFile(Buffer.from('bye'), 'bye.txt'), purpose: 'user_data' });
    expect(await client().files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    const error = await client().files.retrieve(file.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).error).toEqual({ message: `No such File object: ${file.id}`, type: 'invalid_request_error', param: 'id', code: null });
    await expect(client().files.content(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client().files.delete(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const ids: string[] = [];
    for await (const listed of client().files.list({ purpose: 'user_data' })) ids.push(listed.id);
    expect(ids).not.toContain(file.id);
  });

  it('hides a file from another API key', async () => {
    const file = await client().files.create({ file: await toFile(jsonl(1), 'mine.jsonl'), purpose: 'batch' });
    const other = client(OTHER_KEY);
    for (const attempt of [other.files.retrieve(file.id), other.files.content(file.id), other.files.delete(file.id)]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as APIError).message).toContain(`No such File object: ${file.id}`);
    }
    expect((await other.files.list()).data).toEqual([]);
    expect((await client().files.retrieve(file.id)).id).toBe(file.id);
  });

  it('refuses a batch upload not named .jsonl with OpenAI message, whether purpose comes before or after the file', async () => {
    const late = await client().files.create({ file: await toFile(jsonl(1), 'requests.json'), purpose: 'batch' }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(OpenAI.BadRequestError);
    expect((late as APIError).error).toEqual({ message: 'Invalid file format for Batch API. Must be .jsonl', type: 'invalid_request_error', param: null, code: null });

    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([jsonl(1)]), 'requests.csv');
    const early = await stack.request('/v1/files', { method: 'POST', body: form });
    expect(early.status).toBe(400);
    expect((await bodyOf(early)).error.message).toBe('Invalid file format for Batch API. Must be .jsonl');
    const names = (await client().files.list({ purpose: 'batch', limit: 10000 })).data.map((file) => file.filename);
    expect(names).not.toContain('requests.json');
    expect(names).not.toContain('requests.csv');
  });

  it('accepts the purpose ahead of the file and answers a missing file or purpose with OpenAI errors', async () => {
    const form = new FormData();
    form.append('purpose', 'user_data');
    form.append('file', new Blob([Buffer.from('first')]), 'first.txt');
    const ok = await stack.request('/v1/files', { method: 'POST', body: form });
    expect(ok.status).toBe(200);
    expect(await bodyOf(ok)).toMatchObject({ filename: 'first.txt', bytes: 5, purpose: 'user_data' });

    const noFile = new FormData();
    noFile.append('purpose', 'batch');
    const missingFile = await stack.request('/v1/files', { method: 'POST', body: noFile });
    expect(missingFile.status).toBe(400);
    expect((await bodyOf(missingFile)).error).toMatchObject({ message: "Missing required parameter: 'file'.", param: 'file' });

    const noPurpose = await client().files.create({ file: await toFile(Buffer.from('x'), 'x.txt') } as never).catch((e: unknown) => e);
    expect(noPurpose).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noPurpose as APIError).param).toBe('purpose');

    const wrongPurpose = await client().files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'answers' as never }).catch((e: unknown) => e);
    expect(wrongPurpose).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrongPurpose as APIError).message).toContain("'answers' is not one of");
  });

  it('keeps file bytes out of Redis', async () => {
    const marker = `marker-${randomUUID()}`;
    const file = await client().files.create({ file: await toFile(jsonl(2, marker), 'marked.jsonl'), purpose: 'batch' });
    const redis = new Redis(stack.redis.url);
    try {
      const keys = await redis.keys('*{files}*');
      expect(keys.length).toBeGreaterThan(0);
      const values = await Promise.all(keys.map(async (key) => ((await redis.type(key)) === 'string' ? redis.get(key) : JSON.stringify(await redis.zrangebyscore(key, '-inf', '+inf')))));
      expect(values.join('\n')).toContain(file.id);
      expect(values.join('\n')).not.toContain(marker);
    } finally {
      redis.disconnect();
    }
  });
});
