import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { InvalidRequestError } from '@imageforge/contracts';
import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { useRedisServer } from '@imageforge/testing';
import { FileService, type FileRecord, type FileServiceOptions } from '../src';

const redisServer = useRedisServer();
const START_MS = 1_800_000_000_000;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const body = (bytes: Buffer | string): Readable => Readable.from([Buffer.from(bytes)]);

describe(FileService.name, () => {
  let redis: RedisClient;
  let root: string;
  let storage: LocalObjectStorage;
  let clock: number;
  let owner: string;

  beforeAll(() => {
    redis = createRedisConnection(redisServer.url, { role: 'producer' });
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'files-test-'));
    storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'files-test-secret-0123' });
    clock = START_MS;
    owner = `owner-${randomUUID()}`;
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const service = (options: Partial<FileServiceOptions> = {}) =>
    new FileService({ redis, storage, prefix: `test-${randomUUID()}`, now: () => clock, ...options });

  const storedKeys = async (): Promise<string[]> => (await storage.list('files/', { limit: 100 })).objects.map((object) => object.key);

  it('streams a file into storage and reads it back as the record and the same bytes', async () => {
    const files = service();
    const bytes = randomBytes(70_000);
    const record = await files.create({ owner, purpose: 'vision', filename: 'cat.png', body: Readable.from([bytes.subarray(0, 30_000), bytes.subarray(30_000)]) });

    expect(record).toEqual({
      id: expect.stringMatching(/^file-[A-Za-z0-9]{24}$/),
      owner,
      bytes: bytes.length,
      createdAt: START_MS / 1000,
      expiresAt: null,
      filename: 'cat.png',
      purpose: 'vision',
      status: 'processed',
      key: `files/${record.id}`,
    });
    expect(await files.retrieve(owner, record.id)).toEqual(record);
    expect((await readAll(await files.openContent(record))).equals(bytes)).toBe(true);
    expect(await storage.head(record.key)).toEqual({ size: bytes.length, contentType: 'image/png' });
  });

  it('gives batch files 30 days by default and any purpose the expiry it is asked for', async () => {
    const files = service();
    const batch = await files.create({ owner, purpose: 'batch', filename: 'in.jsonl', body: body('{}\n') });
    expect(batch.expiresAt).toBe(START_MS / 1000 + 2_592_000);
    const data = await files.create({ owner, purpose: 'user_data', filename: 'notes.txt', body: body('x'), expiresAfterSeconds: 3600 });
    expect(data.expiresAt).toBe(START_MS / 1000 + 3600);
  });

  it('refuses a batch file not named .jsonl with OpenAI message and stores nothing', async () => {
    const files = service();
    const source = body('{}\n');
    const error = await files.create({ owner, purpose: 'batch', filename: 'in.json', body: source }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).toBody()).toEqual({ error: { message: 'Invalid file format for Batch API. Must be .jsonl', type: 'invalid_request_error', param: null, code: null } });
    expect(source.destroyed).toBe(true);
    expect(await storedKeys()).toEqual([]);
    expect((await files.list(owner, { limit: 10, order: 'desc' })).data).toEqual([]);
  });

  it('fails an upload past the size cap with "File is too large." and keeps no bytes', async () => {
    const files = service({ maxBytes: 1000 });
    expect((await files.create({ owner, purpose: 'user_data', filename: 'a.bin', body: body(randomBytes(1000)) })).bytes).toBe(1000);
    const error = await files
      .create({ owner, purpose: 'user_data', filename: 'b.bin', body: Readable.from([randomBytes(600), randomBytes(401)]) })
      .catch((e: unknown) => e);
    expect((error as InvalidRequestError).message).toBe('File is too large.');
    expect((error as InvalidRequestError).status).toBe(400);
    expect(await storedKeys()).toHaveLength(1);
  });

  it('holds bytes staged before the purpose was known to that purpose cap and name rule when committed', async () => {
    const files = service({ batchMaxBytes: 500 });
    const large = await files.stage({ owner, filename: 'lines.jsonl', body: body(randomBytes(600)) });
    await expect(files.commit(large, { purpose: 'batch' })).rejects.toThrow('File is too large.');
    const misnamed = await files.stage({ owner, filename: 'lines.txt', body: body('{}\n') });
    await expect(files.commit(misnamed, { purpose: 'batch' })).rejects.toThrow('Invalid file format for Batch API. Must be .jsonl');
    expect(await storedKeys()).toEqual([]);

    const fine = await files.stage({ owner, filename: 'lines.jsonl', body: body(randomBytes(600)) });
    const record = await files.commit(fine, { purpose: 'user_data', expiresAfterSeconds: 7200 });
    expect(record).toMatchObject({ id: fine.id, bytes: 600, purpose: 'user_data', expiresAt: START_MS / 1000 + 7200 });
    expect(await storedKeys()).toEqual([record.key]);
  });

  it('shows a file to its owner only', async () => {
    const files = service();
    const record = await files.create({ owner, purpose: 'vision', filename: 'a.png', body: body('png') });
    expect(await files.retrieve('someone-else', record.id)).toBeNull();
    expect((await files.list('someone-else', { limit: 10, order: 'desc' })).data).toEqual([]);
    expect(await files.delete('someone-else', record.id)).toBe(false);
    expect(await files.retrieve(owner, record.id)).toEqual(record);
    expect(await files.retrieve(owner, 'file-doesnotexist')).toBeNull();
    expect(await files.retrieve(owner, 'not a file id')).toBeNull();
  });

  it('pages through the list with cursors in both orders and by purpose', async () => {
    const files = service();
    const created: FileRecord[] = [];
    for (let i = 0; i < 7; i += 1) {
      clock += 400;
      created.push(await files.create({ owner, purpose: i % 3 === 0 ? 'batch' : 'vision', filename: `f${i}.jsonl`, body: body(`file ${i}`) }));
    }
    const walk = async (order: 'asc' | 'desc', purpose?: string): Promise<{ ids: string[]; pages: boolean[] }> => {
      const ids: string[] = [];
      const pages: boolean[] = [];
      let after: string | undefined;
      for (let round = 0; round < 10; round += 1) {
        const page = await files.list(owner, { limit: 3, order, ...(purpose ? { purpose } : {}), ...(after ? { after } : {}) });
        ids.push(...page.data.map((record) => record.id));
        pages.push(page.hasMore);
        if (!page.hasMore) break;
        after = page.data.at(-1)?.id;
      }
      return { ids, pages };
    };
    const ascending = created.map((record) => record.id);
    expect(await walk('asc')).toEqual({ ids: ascending, pages: [true, true, false] });
    expect(await walk('desc')).toEqual({ ids: [...ascending].reverse(), pages: [true, true, false] });
    const batchIds = created.filter((record) => record.purpose === 'batch').map((record) => record.id);
    expect(await walk('desc', 'batch')).toEqual({ ids: [...batchIds].reverse(), pages: [false] });
    expect((await files.list(owner, { limit: 10, order: 'asc', purpose: 'fine-tune' })).data).toEqual([]);
    expect((await files.list(owner, { limit: 10, order: 'asc', purpose: 'no such purpose' })).data).toEqual([]);
    expect(await files.list(owner, { limit: 7, order: 'asc' })).toEqual({ data: created, hasMore: false });
  });

  it('deletes the bytes and the metadata', async () => {
    const files = service();
    const kept = await files.create({ owner, purpose: 'vision', filename: 'kept.png', body: body('kept') });
    const record = await files.create({ owner, purpose: 'batch', filename: 'gone.jsonl', body: body('{}\n'), expiresAfterSeconds: 3600 });
    expect(await files.delete(owner, record.id)).toBe(true);
    expect(await files.retrieve(owner, record.id)).toBeNull();
    expect(await storage.head(record.key)).toBeNull();
    expect((await files.list(owner, { limit: 10, order: 'desc' })).data).toEqual([kept]);
    expect(await files.delete(owner, record.id)).toBe(false);
    // Its expiry entry went with it: nothing is left for the sweep.
    clock += 7200_000;
    expect(await files.sweepExpired(clock / 1000, 10)).toBe(0);
  });

  it('hides expired files at once and sweeps their bytes and metadata a page at a time', async () => {
    const files = service();
    const expiring: FileRecord[] = [];
    for (let i = 0; i < 3; i += 1) expiring.push(await files.create({ owner, purpose: 'user_data', filename: `e${i}.txt`, body: body(`e${i}`), expiresAfterSeconds: 3600 }));
    // Created in this order, a millisecond apart (the list orders files of one millisecond by id).
    clock += 1;
    const lasting = await files.create({ owner, purpose: 'user_data', filename: 'l.txt', body: body('l'), expiresAfterSeconds: 7200 });
    clock += 1;
    const forever = await files.create({ owner, purpose: 'vision', filename: 'f.png', body: body('f') });

    clock += 3600_000;
    expect(await files.retrieve(owner, expiring[0]!.id)).toBeNull();
    const page = await files.list(owner, { limit: 2, order: 'asc' });
    expect(page).toEqual({ data: [lasting, forever], hasMore: false });

    expect(await files.sweepExpired(clock / 1000, 2)).toBe(3);
    for (const record of expiring) expect(await storage.head(record.key)).toBeNull();
    expect((await storedKeys()).sort()).toEqual([lasting.key, forever.key].sort());
    expect(await files.sweepExpired(clock / 1000, 2)).toBe(0);
    expect(await files.sweepExpired(clock / 1000 + 3600, 2)).toBe(1);
    expect((await files.list(owner, { limit: 10, order: 'asc' })).data).toEqual([forever]);
  });

  it('replaces a file created again under the same id instead of adding another', async () => {
    const files = service();
    const first = await files.create({ id: 'file-batch_out-1', owner, purpose: 'batch_output', filename: 'out.jsonl', body: body('first\n'), expiresAfterSeconds: 3600 });
    clock += 5000;
    const second = await files.create({ id: 'file-batch_out-1', owner, purpose: 'batch_output', filename: 'out-2.jsonl', body: body('second line\n') });

    expect(second).toMatchObject({ id: first.id, key: first.key, bytes: 12, filename: 'out-2.jsonl', expiresAt: null, createdAt: first.createdAt + 5 });
    expect(await files.retrieve(owner, first.id)).toEqual(second);
    expect((await readAll(await files.openContent(second))).toString()).toBe('second line\n');
    expect((await files.list(owner, { limit: 10, order: 'desc' })).data).toEqual([second]);
    expect(await storedKeys()).toEqual([first.key]);
    // The first version's expiry no longer applies.
    clock += 7200_000;
    expect(await files.sweepExpired(clock / 1000, 10)).toBe(0);
    expect(await files.retrieve(owner, first.id)).toEqual(second);
  });

  it('applies the content transform registered for a purpose and leaves other purposes raw', async () => {
    const upper = (source: Readable): Readable =>
      source.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            callback(null, chunk.toString('utf8').toUpperCase());
          },
        }),
      );
    const files = service({ contentTransforms: { batch_output: upper } });
    const output = await files.create({ owner, purpose: 'batch_output', filename: 'out.jsonl', body: body('{"a":"link"}\n') });
    const input = await files.create({ owner, purpose: 'batch', filename: 'in.jsonl', body: body('{"a":"link"}\n') });
    expect((await readAll(await files.openContent(output))).toString()).toBe('{"A":"LINK"}\n');
    expect((await readAll(await files.openContent(input))).toString()).toBe('{"a":"link"}\n');
  });
});
