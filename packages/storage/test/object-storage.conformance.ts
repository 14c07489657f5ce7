import { randomBytes, randomUUID } from 'node:crypto';
import { ObjectNotFoundError, type ObjectStorage } from '../src';

export interface ConformanceSubject {
  storage: ObjectStorage;
  /**
   * Follows a signed link as a caller would: the object's bytes when the link is honoured, null when refused.
   * S3 links are fetched; local links are checked the way the API's file route does.
   */
  readSignedUrl(url: string): Promise<Buffer | null>;
  teardown?(): Promise<void>;
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

    it('answers ping when the store is reachable', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it.each(INVALID_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))('rejects the invalid key %s in every method', async (_label, key) => {
      const invalid = /invalid object key/;
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(invalid);
      await expect(storage.get(key)).rejects.toThrow(invalid);
      await expect(storage.head(key)).rejects.toThrow(invalid);
      await expect(storage.delete(key)).rejects.toThrow(invalid);
      await expect(storage.signedUrl(key, { expiresInSeconds: 60 })).rejects.toThrow(invalid);
    });
  });
}
