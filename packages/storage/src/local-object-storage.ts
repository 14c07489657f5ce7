import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMissing, pruneEmptyParents, readWholeFile, removeStaleFiles, writeWholeFile } from './local-files';
import { walkKeys } from './local-key-walk';
import { acceptStreamedBody } from './streamed-body';
import {
  assertValidKey,
  ObjectNotFoundError,
  StorageUnavailableError,
  type ListOptions,
  type ListPage,
  type ObjectStorage,
  type PutOptions,
  type PutStreamResult,
  type SignedUrlOptions,
  type StoredObjectInfo,
} from './object-storage';

export interface LocalObjectStorageOptions {
  /**
   * Directory holding the store. Objects live under `objects/<key>` as plain files (easy to inspect),
   * their content types under `meta/<key>.json` (a separate tree, so no key can collide with a sidecar),
   * and writes in progress under `tmp/`. Created on first use.
   */
  root: string;
  /**
   * Base of the links, as callers reach the route the API serves them on,
   * e.g. `https://images.example.com/objects`; a link is `<publicBaseUrl>/<key>?expires=…&signature=…`.
   */
  publicBaseUrl: string;
  /** Secret for the HMAC that signs links; every API instance serving the files must share it. */
  signingSecret: string;
}

const FALLBACK_CONTENT_TYPE = 'application/octet-stream';
const DELETE_CONCURRENCY = 16;

/**
 * Stores objects in a directory; the embedded default when no S3 server is configured.
 * Writes go to a temp file renamed into place, so a reader never sees half an object and a retried job
 * overwrites cleanly. Links point at the API, which checks them with `verifySignedKey` and serves `get`.
 */
export class LocalObjectStorage implements ObjectStorage {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly publicBaseUrl: string;
  private readonly signingSecret: string;
  private tmpReady: Promise<void> | undefined;

  constructor(options: LocalObjectStorageOptions) {
    if (options.signingSecret.length === 0) throw new Error('LocalObjectStorage: signingSecret must not be empty');
    this.root = options.root;
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.signingSecret = options.signingSecret;
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    assertValidKey(key);
    // Data first: a reader racing an overwrite may pair new bytes with the old type for an instant, but
    // never sees a type without bytes.
    try {
      await this.writeAtomically(this.objectPath(key), body);
      await this.writeAtomically(this.metaPath(key), JSON.stringify({ contentType: options.contentType }));
    } catch (error) {
      throw new StorageUnavailableError('put', key, error);
    }
  }

  async putStream(key: string, body: Readable, options: PutOptions): Promise<PutStreamResult> {
    const { counter, failure } = acceptStreamedBody(key, body);
    try {
      await this.writeViaTmp(this.objectPath(key), async (tmpPath, retry) => {
        const handle = await retry(() => open(tmpPath, 'w'));
        await pipeline(body, counter, handle.createWriteStream());
      });
      await this.writeAtomically(this.metaPath(key), JSON.stringify({ contentType: options.contentType }));
      return { size: counter.bytes };
    } catch (error) {
      throw failure(error);
    }
  }

  async get(key: string): Promise<Buffer> {
    assertValidKey(key);
    try {
      return await readWholeFile(this.objectPath(key));
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      throw new StorageUnavailableError('get', key, error);
    }
  }

  async getStream(key: string): Promise<Readable> {
    assertValidKey(key);
    let handle: FileHandle;
    try {
      handle = await open(this.objectPath(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      throw new StorageUnavailableError('get', key, error);
    }
    let isFile: boolean;
    try {
      isFile = (await handle.stat()).isFile();
    } catch (error) {
      await handle.close();
      throw new StorageUnavailableError('get', key, error);
    }
    // A directory opens for reading on Linux: a key that is only a prefix of others is still absent.
    if (!isFile) {
      await handle.close();
      throw new ObjectNotFoundError(key);
    }
    return handle.createReadStream();
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    assertValidKey(key);
    let size: number;
    try {
      const stats = await stat(this.objectPath(key));
      if (!stats.isFile()) return null;
      size = stats.size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return { size, contentType: await this.readContentType(key) };
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await rm(this.objectPath(key), { force: true });
    await rm(this.metaPath(key), { force: true });
    // Keys nest (jobs/<id>/input/…): without this, every deleted job would leave its folders behind.
    await pruneEmptyParents(dirname(this.objectPath(key)), join(this.root, 'objects'));
    await pruneEmptyParents(dirname(this.metaPath(key)), join(this.root, 'meta'));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    keys.forEach(assertValidKey);
    // A few at a time: a sweep's page of a thousand deletes should not take every thread of the pool.
    for (let start = 0; start < keys.length; start += DELETE_CONCURRENCY) {
      await Promise.all(
        keys.slice(start, start + DELETE_CONCURRENCY).map((key) =>
          this.delete(key).catch((error: unknown) => {
            throw new StorageUnavailableError('delete', key, error);
          }),
        ),
      );
    }
  }

  async deleteAbandonedWrites(before: number): Promise<number> {
    return removeStaleFiles(join(this.root, 'tmp'), before);
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertValidKey(key);
    const expires = Math.floor(Date.now() / 1000) + options.expiresInSeconds;
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${this.publicBaseUrl}/${path}?expires=${expires}&signature=${this.sign(key, expires)}`;
  }

  /**
   * Checks a link's query parameters for `key` (the decoded path after `publicBaseUrl`).
   * `expires` is in unix seconds, `nowMs` in milliseconds (default: the current time). False when expired,
   * malformed or signed for another key or secret.
   */
  verifySignedKey(key: string, expires: string | number, signature: string, nowMs: number = Date.now()): boolean {
    const expiresAt = typeof expires === 'number' ? expires : /^\d{1,15}$/.test(expires) ? Number(expires) : NaN;
    if (!Number.isSafeInteger(expiresAt) || expiresAt * 1000 < nowMs) return false;
    try {
      assertValidKey(key);
    } catch {
      return false;
    }
    if (!/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(this.sign(key, expiresAt), 'hex'));
  }

  async list(prefix: string, options: ListOptions): Promise<ListPage> {
    const objects = await walkKeys(join(this.root, 'objects'), prefix, options.after, options.limit);
    const last = objects.at(-1);
    return objects.length === options.limit && last ? { objects, next: last.key } : { objects };
  }

  /** Fails when the root cannot be created or written (readiness probe). */
  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  private sign(key: string, expires: number): string {
    // `expires` is digits only, so the message splits unambiguously at its last newline: no other
    // key/expiry pair signs the same bytes.
    return createHmac('sha256', this.signingSecret).update(`${key}\n${expires}`).digest('hex');
  }

  private async readContentType(key: string): Promise<string> {
    try {
      const meta = JSON.parse(await readFile(this.metaPath(key), 'utf8')) as { contentType?: unknown };
      return typeof meta.contentType === 'string' ? meta.contentType : FALLBACK_CONTENT_TYPE;
    } catch (error) {
      if (isMissing(error)) return FALLBACK_CONTENT_TYPE;
      throw error;
    }
  }

  private async writeAtomically(path: string, data: Buffer | string): Promise<void> {
    await this.writeViaTmp(path, (tmpPath, retry) => retry(() => writeWholeFile(tmpPath, data)));
  }

  /**
   * Runs `write` on a fresh temp path, then renames the result into place. `write` wraps the step that
   * creates the temp file in `retry`, which makes the temp folder again when someone removed it; only
   * that step is retried, since a stream body cannot be read twice.
   */
  private async writeViaTmp(path: string, write: (tmpPath: string, retry: <T>(step: () => Promise<T>) => Promise<T>) => Promise<void>): Promise<void> {
    const tmpDir = join(this.root, 'tmp');
    const tmpPath = join(tmpDir, randomUUID());
    // The temp folder is made once per process, not once per write; if someone removed it, the write fails
    // with ENOENT and it is made again.
    await Promise.all([this.ensureTmp(tmpDir), mkdir(dirname(path), { recursive: true })]);
    const retry = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.tmpReady = undefined;
        await this.ensureTmp(tmpDir);
        return step();
      }
    };
    try {
      await write(tmpPath, retry);
      await rename(tmpPath, path).catch(async (error: NodeJS.ErrnoException) => {
        // A delete of the folder's last other object may have pruned it in between: make it again, once.
        if (error.code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
        await rename(tmpPath, path);
      });
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  private ensureTmp(tmpDir: string): Promise<void> {
    this.tmpReady ??= mkdir(tmpDir, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        // A failure is not remembered: the next write tries again.
        this.tmpReady = undefined;
        throw error;
      },
    );
    return this.tmpReady;
  }

  private objectPath(key: string): string {
    return join(this.root, 'objects', key);
  }

  private metaPath(key: string): string {
    return join(this.root, 'meta', `${key}.json`);
  }
}
