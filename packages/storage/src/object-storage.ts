import type { Readable } from 'node:stream';

/**
 * Where job inputs and outputs live. Jobs in Redis carry only keys into this store.
 * Implementations: S3ObjectStorage (any S3-compatible server) and LocalObjectStorage
 * (a directory, the embedded default, with links served and verified by the API).
 */
export interface StoredObjectInfo {
  size: number;
  contentType: string;
}

export interface PutOptions {
  contentType: string;
}

export interface PutStreamResult {
  /** Bytes the body carried, as stored. */
  size: number;
}

export interface SignedUrlOptions {
  /** Seconds the link stays valid. OpenAI's image links last 60 minutes. */
  expiresInSeconds: number;
}

export interface ListedObject {
  key: string;
  size: number;
  /** Unix milliseconds of the last write. */
  lastModified: number;
}

export interface ListOptions {
  /** Resume after this key (the previous page's `next`). */
  after?: string;
  /** Most objects in the page. */
  limit: number;
}

export interface ListPage {
  objects: ListedObject[];
  /** Pass as `after` for the next page; absent on the last one. */
  next?: string;
}

export interface ObjectStorage {
  readonly kind: 's3' | 'local';
  /** Writes (or overwrites) the object. */
  put(key: string, body: Buffer, options: PutOptions): Promise<void>;
  /**
   * Writes (or overwrites) the object from a stream without holding it in memory. The object appears
   * at `key` only once the whole body is stored: a body that errors leaves `key` as it was. An error the
   * body itself raised is rethrown as it came (the caller's cap, a client that went away); a fault of
   * the store is a StorageUnavailableError ('put'). The body is consumed or destroyed either way.
   */
  putStream(key: string, body: Readable, options: PutOptions): Promise<PutStreamResult>;
  /** Reads the whole object; rejects with ObjectNotFoundError when absent. */
  get(key: string): Promise<Buffer>;
  /**
   * Opens the object for reading a chunk at a time; rejects with ObjectNotFoundError when absent and
   * StorageUnavailableError ('get') when the store cannot be reached.
   */
  getStream(key: string): Promise<Readable>;
  /** Size and type, or null when absent. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Deletes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every key given, in requests of up to DELETE_MANY_LIMIT keys (S3 DeleteObjects); missing keys
   * are not an error, so deleting the same keys again does nothing. Rejects with StorageUnavailableError
   * ('delete', naming a key it could not delete) when the store refuses; keys already deleted stay deleted.
   */
  deleteMany(keys: readonly string[]): Promise<void>;
  /**
   * Removes what writes that never finished left behind, if the store keeps any: temp files of a local
   * write cut short by a crash, last touched before `before` (unix milliseconds). Answers how many it
   * removed. S3 keeps incomplete multipart uploads out of sight of this interface: a bucket lifecycle
   * rule (AbortIncompleteMultipartUpload) removes those, and this answers 0.
   */
  deleteAbandonedWrites(before: number): Promise<number>;
  /**
   * Keys under `prefix`, a bounded page at a time, in an order that is stable for the
   * store (S3: lexicographic), so a sweep can walk any number of objects.
   */
  list(prefix: string, options: ListOptions): Promise<ListPage>;
  /** A GET link valid for the given time, reachable by the API's callers. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string>;
  /** Throws when the store cannot be reached (readiness probe). */
  ping(): Promise<void>;
}

/** Most keys one deleteMany request carries: S3's DeleteObjects limit. */
export const DELETE_MANY_LIMIT = 1_000;

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/**
 * The store could not be written or read (disk full or read-only, S3 down or refusing).
 * A fault of the moment: the API answers it with a retryable 503, a worker lets the
 * queue retry the job.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(
    readonly operation: 'put' | 'get' | 'head' | 'delete' | 'list',
    readonly key: string,
    cause: unknown,
  ) {
    super(`storage ${operation} of ${key} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Keys are built by our code, but reject anything that could escape a directory or bucket prefix. */
export function assertValidKey(key: string): void {
  if (key.length === 0 || key.length > 512 || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.' || part === '') || /[\\\0]/.test(key)) {
    throw new Error(`invalid object key: ${JSON.stringify(key)}`);
  }
}

/** assertValidKey for a write that was handed a body: the body is destroyed before the key is refused. */
export function assertValidStreamKey(key: string, body: Readable): void {
  try {
    assertValidKey(key);
  } catch (error) {
    body.destroy();
    throw error;
  }
}
