import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalObjectStorage } from '../src';
import { describeObjectStorageConformance } from './object-storage.conformance';

const SECRET = 'test-signing-secret-0123456789';
const ORIGIN = 'http://api.example.test:8080';
/** The API serves local objects at /objects, outside OpenAI's /v1 namespace. */
const BASE_URL = `${ORIGIN}/objects`;

/** Checks a link the way the API's file route does: decode the path, verify, then read. */
async function readLocalSignedUrl(storage: LocalObjectStorage, link: string): Promise<Buffer | null> {
  const url = new URL(link);
  const routePrefix = '/objects/';
  if (url.origin !== ORIGIN || !url.pathname.startsWith(routePrefix)) return null;
  const key = url.pathname.slice(routePrefix.length).split('/').map(decodeURIComponent).join('/');
  const valid = storage.verifySignedKey(key, url.searchParams.get('expires') ?? '', url.searchParams.get('signature') ?? '');
  return valid ? storage.get(key) : null;
}

/** Until `dir` holds `count` entries: a streamed write opens its temp file a few ticks after it starts. */
async function waitForEntries(dir: string, count: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if ((await readdir(dir).catch(() => [])).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${dir} never held ${count} entries`);
}

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'local-storage-'));
}

describeObjectStorageConformance(LocalObjectStorage.name, async () => {
  const root = await tempRoot();
  const storage = new LocalObjectStorage({ root, publicBaseUrl: BASE_URL, signingSecret: SECRET });
  return {
    storage,
    readSignedUrl: (url) => readLocalSignedUrl(storage, url),
    teardown: () => rm(root, { recursive: true, force: true }),
  };
});

describe(LocalObjectStorage.name, () => {
  let root: string;
  let storage: LocalObjectStorage;
  beforeEach(async () => {
    root = await tempRoot();
    storage = new LocalObjectStorage({ root, publicBaseUrl: `${BASE_URL}/`, signingSecret: SECRET });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function signedParams(key: string, expiresInSeconds = 3600): Promise<{ url: URL; expires: string; signature: string }> {
    const url = new URL(await storage.signedUrl(key, { expiresInSeconds }));
    return { url, expires: url.searchParams.get('expires') ?? '', signature: url.searchParams.get('signature') ?? '' };
  }

  it('links below its base URL with each key segment encoded and no doubled slash', async () => {
    const { url, expires } = await signedParams('jobs/j 1/output/0+a.png', 600);
    expect(`${url.origin}${url.pathname}`).toBe(`${ORIGIN}/objects/jobs/j%201/output/0%2Ba.png`);
    expect(Number(expires) - Date.now() / 1000).toBeGreaterThan(590);
    expect(Number(expires) - Date.now() / 1000).toBeLessThanOrEqual(600);
  });

  it('accepts the parameters of its own link until the expiry and not after', async () => {
    const { expires, signature } = await signedParams('jobs/j1/output/0.png', 60);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', expires, signature)).toBe(true);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', Number(expires), signature, Number(expires) * 1000)).toBe(true);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', expires, signature, Number(expires) * 1000 + 1)).toBe(false);
  });

  it('rejects a link whose key, expiry or signature was altered', async () => {
    const { expires, signature } = await signedParams('jobs/j1/output/0.png');
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    expect(storage.verifySignedKey('jobs/j1/output/1.png', expires, signature)).toBe(false);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', String(Number(expires) + 3600), signature)).toBe(false);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', expires, flipped)).toBe(false);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', expires, signature.toUpperCase())).toBe(false);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', expires, '')).toBe(false);
    expect(storage.verifySignedKey('jobs/j1/output/0.png', `${expires}.5`, signature)).toBe(false);
    expect(storage.verifySignedKey('../j1/output/0.png', expires, signature)).toBe(false);
  });

  it('rejects a link signed with another secret', async () => {
    const other = new LocalObjectStorage({ root, publicBaseUrl: BASE_URL, signingSecret: 'another-secret-0123456789' });
    const { expires, signature } = await signedParams('jobs/j1/output/0.png');
    expect(other.verifySignedKey('jobs/j1/output/0.png', expires, signature)).toBe(false);
  });

  it('never lets a concurrent reader see a partly written object', async () => {
    const key = 'jobs/j1/output/0.png';
    const versions = [randomBytes(2 * 1024 * 1024), randomBytes(2 * 1024 * 1024)];
    await storage.put(key, versions[0]!, { contentType: 'image/png' });
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 12; i++) await storage.put(key, versions[i % 2]!, { contentType: 'image/png' });
      writing = false;
    })();
    let reads = 0;
    let torn = 0;
    while (writing) {
      const read = await storage.get(key);
      if (!versions.some((version) => version.equals(read))) torn++;
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });

  it('leaves no temporary files behind after writes', async () => {
    await storage.put('a/b.png', randomBytes(100), { contentType: 'image/png' });
    await storage.put('a/b.png', randomBytes(50), { contentType: 'image/png' });
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('removes temp files a crashed write left behind once idle long enough, and never a write in progress', async () => {
    await storage.put('jobs/j1/output/0.png', randomBytes(10), { contentType: 'image/png' });
    // What a process killed mid-write leaves: a temp file that is never renamed.
    const crashed = join(root, 'tmp', 'crashed-write');
    await writeFile(crashed, randomBytes(100));
    const hourAgo = (Date.now() - 3_600_000) / 1000;
    await utimes(crashed, hourAgo, hourAgo);
    const body = new PassThrough();
    const writing = storage.putStream('files/slow-upload', body, { contentType: 'text/plain' });
    body.write(Buffer.from('first half '));
    await waitForEntries(join(root, 'tmp'), 2);

    expect(await storage.deleteAbandonedWrites(Date.now() - 60_000)).toBe(1);

    expect(await readdir(join(root, 'tmp'))).toHaveLength(1);
    body.end(Buffer.from('second half'));
    await expect(writing).resolves.toEqual({ size: 22 });
    expect((await storage.get('files/slow-upload')).toString()).toBe('first half second half');
    expect(await storage.head('jobs/j1/output/0.png')).not.toBeNull();
    expect(await storage.deleteAbandonedWrites(Date.now() + 60_000)).toBe(0);
  });

  it('keeps object bytes as plain files under objects/', async () => {
    const body = randomBytes(64);
    await storage.put('jobs/j1/input/mask', body, { contentType: 'image/png' });
    expect((await readFile(join(root, 'objects/jobs/j1/input/mask'))).equals(body)).toBe(true);
  });

  it('fails ping when the root cannot be created', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'not a directory');
    const broken = new LocalObjectStorage({ root: join(file, 'store'), publicBaseUrl: BASE_URL, signingSecret: SECRET });
    await expect(broken.ping()).rejects.toThrow();
  });

  it('refuses an empty signing secret', () => {
    expect(() => new LocalObjectStorage({ root, publicBaseUrl: BASE_URL, signingSecret: '' })).toThrow(/signingSecret/);
  });
});
