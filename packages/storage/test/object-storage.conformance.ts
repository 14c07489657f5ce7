import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DELETE_MANY_LIMIT, ObjectNotFoundError, type ObjectStorage } from '../src';

export interface ConformanceSubject {
  storage: ObjectStorage;
  /**
   * Follows a signed link as a caller would: the object's bytes when the link is honoured, null when refused.
   * S3 links are fetched; local links are checked the way the API's file route does.
   */
  readSignedUrl(url: string): Promise<Buffer | null>;
  teardown?(): Promise<void>;
}

/** Over S3's 5 MiB minimum part, so S3 stores it as a multipart upload of more than one part. */
const MULTIPART_BYTES = 6 * 1024 * 1024 + 13;
const CHUNK_BYTES = 64 * 1024;

/** `body` as a stream of small chunks, as an upload arrives; `failAfter` bytes in, it errors with `error`. */
function chunked(body: Buffer, failure?: { after: number; error: Error }): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < body.length; offset += CHUNK_BYTES) {
        if (failure && offset >= failure.after) throw failure.error;
        yield body.subarray(offset, offset + CHUNK_BYTES);
      }
      if (failure) throw failure.error;
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const INVALID_KEYS = ['', '/absolute', '../escape', 'a/../../b', 'a//b', 'a/./b', 'trailing/', 'back\\slash', 'nul\0byte', 'x'.repeat(513)];

/** The behaviour every ObjectStorage must share; run once per implementation. */
export function describeObjectStorageConformance(name: string, setup: () => Promise<ConformanceSubject>): void {
  describe(`${name} (ObjectStorage conformance)`, () => {
    let subject: ConformanceSubject;
    let storage: ObjectStorage;
    let prefix: string;

    beforeAll(async () => {
      subject = await setup();
      storage = subject.storage;
    });
    afterAll(async () => {
      await subject?.teardown?.();
    });
    beforeEach(() => {
      prefix = `conformance/${randomUUID()}`;
    });

    it('returns every byte value unchanged after a put and get', async () => {
      const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      await storage.put(`${prefix}/bytes.bin`, body, { contentType: 'application/octet-stream' });
      expect((await storage.get(`${prefix}/bytes.bin`)).equals(body)).toBe(true);
    });

    it('returns a 1 MB random buffer byte for byte', async () => {
      const body = randomBytes(1024 * 1024 + 7);
      await storage.put(`${prefix}/large.bin`, body, { contentType: 'application/octet-stream' });
      const read = await storage.get(`${prefix}/large.bin`);
      expect(read.length).toBe(body.length);
      expect(read.equals(body)).toBe(true);
    });

    it('stores an empty object', async () => {
      await storage.put(`${prefix}/empty`, Buffer.alloc(0), { contentType: 'text/plain' });
      expect((await storage.get(`${prefix}/empty`)).length).toBe(0);
      expect(await storage.head(`${prefix}/empty`)).toEqual({ size: 0, contentType: 'text/plain' });
    });

    it('replaces the bytes and content type when a key is written twice', async () => {
      const key = `${prefix}/output/0.png`;
      await storage.put(key, randomBytes(300), { contentType: 'image/png' });
      const second = randomBytes(120);
      await storage.put(key, second, { contentType: 'image/webp' });
      expect((await storage.get(key)).equals(second)).toBe(true);
      expect(await storage.head(key)).toEqual({ size: 120, contentType: 'image/webp' });
    });

    it('reports size and content type from head', async () => {
      const key = `${prefix}/input/image-0`;
      await storage.put(key, randomBytes(4321), { contentType: 'image/jpeg' });
      expect(await storage.head(key)).toEqual({ size: 4321, contentType: 'image/jpeg' });
    });

    it('answers head of a missing key with null', async () => {
      expect(await storage.head(`${prefix}/missing.png`)).toBeNull();
    });

    it('rejects get of a missing key with ObjectNotFoundError carrying the key', async () => {
      const key = `${prefix}/missing.png`;
      const error = await storage.get(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectNotFoundError);
      expect((error as ObjectNotFoundError).key).toBe(key);
    });

    it('treats a key that is only a prefix of other keys as missing', async () => {
      await storage.put(`${prefix}/dir/file.txt`, Buffer.from('x'), { contentType: 'text/plain' });
      expect(await storage.head(`${prefix}/dir`)).toBeNull();
      await expect(storage.get(`${prefix}/dir`)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('deletes an object so that it can no longer be read', async () => {
      const key = `${prefix}/gone.png`;
      await storage.put(key, randomBytes(10), { contentType: 'image/png' });
      await storage.delete(key);
      expect(await storage.head(key)).toBeNull();
      await expect(storage.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('deletes a missing key without error and leaves its neighbours alone', async () => {
      await storage.put(`${prefix}/kept.png`, Buffer.from('kept'), { contentType: 'image/png' });
      await expect(storage.delete(`${prefix}/never-written.png`)).resolves.toBeUndefined();
      expect((await storage.get(`${prefix}/kept.png`)).toString()).toBe('kept');
    });

    it('deletes many keys at once, past one request of DELETE_MANY_LIMIT, missing ones included, and leaves the rest', async () => {
      // Keys around the request boundary exist; the other thousand are missing, which costs nothing to store.
      const keys = Array.from({ length: DELETE_MANY_LIMIT + 2 }, (_, i) => `${prefix}/many/${String(i).padStart(4, '0')}`);
      const present = [keys[0]!, keys[DELETE_MANY_LIMIT - 1]!, keys[DELETE_MANY_LIMIT]!, keys[DELETE_MANY_LIMIT + 1]!];
      for (const key of [...present, `${prefix}/kept`]) await storage.put(key, Buffer.from(key), { contentType: 'text/plain' });

      await storage.deleteMany(keys);

      for (const key of present) expect(await storage.head(key)).toBeNull();
      expect((await storage.list(`${prefix}/`, { limit: 10 })).objects.map((object) => object.key)).toEqual([`${prefix}/kept`]);
      await expect(storage.deleteMany(keys)).resolves.toBeUndefined();
      await expect(storage.deleteMany([])).resolves.toBeUndefined();
    });

    it('signs a link that yields the object bytes, also for keys with spaces and plus signs', async () => {
      for (const file of ['0.png', 'a b+c.png']) {
        const key = `${prefix}/output/${file}`;
        const body = randomBytes(2048);
        await storage.put(key, body, { contentType: 'image/png' });
        const url = await storage.signedUrl(key, { expiresInSeconds: 3600 });
        expect((await subject.readSignedUrl(url))?.equals(body)).toBe(true);
      }
    });

    it('refuses a signed link once it has expired', async () => {
      await storage.put(`${prefix}/brief.png`, Buffer.from('brief'), { contentType: 'image/png' });
      const url = await storage.signedUrl(`${prefix}/brief.png`, { expiresInSeconds: 1 });
      expect((await subject.readSignedUrl(url))?.toString()).toBe('brief');
      // Both stores count expiry in whole seconds from the signing time.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await subject.readSignedUrl(url)).toBeNull();
    });

    it('lists every key under a prefix exactly once across bounded pages, with size and write time', async () => {
      const before = Date.now() - 60_000;
      const keys = ['a/0.png', 'a/1.png', 'a-b/x', 'b/c/d/e.bin', 'b/c/f', 'z'].map((key) => `${prefix}/${key}`);
      for (const [index, key] of keys.entries()) await storage.put(key, Buffer.alloc(index + 1), { contentType: 'application/octet-stream' });
      await storage.put(`${prefix}-sibling/outside`, Buffer.from('x'), { contentType: 'text/plain' });

      const seen: Array<{ key: string; size: number; lastModified: number }> = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await storage.list(`${prefix}/`, { limit: 4, ...(after !== undefined ? { after } : {}) });
        expect(page.objects.length).toBeLessThanOrEqual(4);
        seen.push(...page.objects);
        after = page.next;
        pages += 1;
      } while (after !== undefined && pages < 10);

      expect(seen.map((object) => object.key).sort()).toEqual([...keys].sort());
      expect(pages).toBeGreaterThanOrEqual(2);
      for (const object of seen) {
        expect(object.size).toBe(keys.indexOf(object.key) + 1);
        expect(object.lastModified).toBeGreaterThan(before);
      }
      expect((await storage.list(`${prefix}/nothing-here/`, { limit: 10 })).objects).toEqual([]);
    });

    it('streams a body of several multipart parts in and out byte for byte, reporting its size', async () => {
      const key = `${prefix}/files/large.jsonl`;
      const body = randomBytes(MULTIPART_BYTES);
      expect(await storage.putStream(key, chunked(body), { contentType: 'application/jsonl' })).toEqual({ size: body.length });
      expect(await storage.head(key)).toEqual({ size: body.length, contentType: 'application/jsonl' });
      expect((await readAll(await storage.getStream(key))).equals(body)).toBe(true);
    });

    it('streams an empty body and replaces an object written before', async () => {
      const key = `${prefix}/files/replaced`;
      await storage.put(key, randomBytes(500), { contentType: 'image/png' });
      expect(await storage.putStream(key, Readable.from([]), { contentType: 'text/plain' })).toEqual({ size: 0 });
      expect(await storage.head(key)).toEqual({ size: 0, contentType: 'text/plain' });
      const second = randomBytes(3000);
      await storage.putStream(key, chunked(second), { contentType: 'application/octet-stream' });
      expect((await readAll(await storage.getStream(key))).equals(second)).toBe(true);
    });

    it('rejects with the body error and stores nothing when the body fails after several parts', async () => {
      const key = `${prefix}/files/broken.jsonl`;
      const failure = new Error('client went away');
      const error = await storage
        .putStream(key, chunked(randomBytes(MULTIPART_BYTES + CHUNK_BYTES * 40), { after: MULTIPART_BYTES, error: failure }), { contentType: 'application/jsonl' })
        .catch((e: unknown) => e);
      expect(error).toBe(failure);
      expect(await storage.head(key)).toBeNull();
      await expect(storage.getStream(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect((await storage.list(`${prefix}/`, { limit: 10 })).objects).toEqual([]);
    });

    it('leaves an existing object whole when a body streamed over it fails', async () => {
      const key = `${prefix}/files/kept.jsonl`;
      const original = randomBytes(2048);
      await storage.put(key, original, { contentType: 'application/jsonl' });
      const failure = new Error('cut short');
      await expect(storage.putStream(key, chunked(randomBytes(200_000), { after: 100_000, error: failure }), { contentType: 'text/plain' })).rejects.toBe(failure);
      expect(await storage.head(key)).toEqual({ size: original.length, contentType: 'application/jsonl' });
      expect((await storage.get(key)).equals(original)).toBe(true);
    });

    it('rejects getStream of a missing key, or of a key that is only a prefix, with ObjectNotFoundError', async () => {
      const missing = await storage.getStream(`${prefix}/missing.jsonl`).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ObjectNotFoundError);
      expect((missing as ObjectNotFoundError).key).toBe(`${prefix}/missing.jsonl`);
      await storage.put(`${prefix}/dir/file.txt`, Buffer.from('x'), { contentType: 'text/plain' });
      await expect(storage.getStream(`${prefix}/dir`)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('answers ping when the store is reachable', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it.each(INVALID_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))('rejects the invalid key %s in every method', async (_label, key) => {
      const invalid = /invalid object key/;
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(invalid);
      await expect(storage.get(key)).rejects.toThrow(invalid);
      await expect(storage.head(key)).rejects.toThrow(invalid);
      await expect(storage.delete(key)).rejects.toThrow(invalid);
      await expect(storage.deleteMany(['fine/key', key])).rejects.toThrow(invalid);
      await expect(storage.signedUrl(key, { expiresInSeconds: 60 })).rejects.toThrow(invalid);
      const body = Readable.from([Buffer.from('x')]);
      await expect(storage.putStream(key, body, { contentType: 'text/plain' })).rejects.toThrow(invalid);
      expect(body.destroyed).toBe(true);
      await expect(storage.getStream(key)).rejects.toThrow(invalid);
    });
  });
}
