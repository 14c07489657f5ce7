import { pipeline, type Readable } from 'node:stream';
import {
  assertFilenameFitsPurpose,
  BATCH_FILE_DEFAULT_EXPIRY_SECONDS,
  BATCH_MAX_FILE_BYTES,
  FILE_MAX_BYTES,
  FILE_PURPOSES,
  fileTooLarge,
  type FilePurpose,
} from '@imageforge/contracts';
import type { RedisClient } from '@imageforge/queue';
import type { ObjectStorage } from '@imageforge/storage';
import { FileMetadataStore } from './file-metadata.store';
import { contentTypeOf, fileObjectKey, isFileId, newFileId, type FileRecord } from './file-record';
import { sizeCap } from './size-cap';

/** Rewrites a file's bytes as `/content` serves them; it must pass the source's errors on. */
export type FileContentTransform = (source: Readable, record: FileRecord) => Readable;

export interface FileServiceOptions {
  redis: RedisClient;
  storage: ObjectStorage;
  /** Base of the Redis key prefix (QUEUE_PREFIX); keys are `<prefix>:{files}:…`. Default `bull`. */
  prefix?: string;
  /** Unix milliseconds. Default: Date.now. */
  now?: () => number;
  /** Cap on any one file. Default: OpenAI's 512 MB. */
  maxBytes?: number;
  /** Cap on a `batch` file. Default: the Batch API's 200 MB (never above `maxBytes`). */
  batchMaxBytes?: number;
  /** Per-purpose rewrites applied when the content is read (e.g. re-signed links in batch output). */
  contentTransforms?: Partial<Record<FilePurpose, FileContentTransform>>;
}

export interface CreateFileInput {
  owner: string;
  purpose: FilePurpose;
  filename: string;
  body: Readable;
  /** Seconds from creation until the file expires. Default: 30 days for `batch`, never for the rest. */
  expiresAfterSeconds?: number;
  /** A caller-chosen id (`file-…`): creating it again replaces that file's bytes and metadata. */
  id?: string;
}

/** Bytes stored under a new id that no metadata names yet: commit or discard it. */
export interface StagedFile {
  readonly id: string;
  readonly owner: string;
  readonly filename: string;
  readonly key: string;
  readonly bytes: number;
}

export interface StageFileInput {
  owner: string;
  filename: string;
  body: Readable;
  /** When already known, its name rule and size cap are checked before and while the bytes stream. */
  purpose?: FilePurpose;
  id?: string;
}

export interface ListFilesOptions {
  purpose?: string;
  limit: number;
  order: 'asc' | 'desc';
  /** A file id: the page starts after it. */
  after?: string;
}

export interface FilePage {
  data: FileRecord[];
  hasMore: boolean;
}

/** How many reads a list makes at most to fill a page past files that expired but are not swept yet. */
const MAX_LIST_ROUNDS = 8;

/**
 * OpenAI's Files on our storage: bytes streamed into object storage, metadata in Redis, every read
 * scoped to the owner and blind to expired files.
 */
export class FileService {
  private readonly metadata: FileMetadataStore;
  private readonly storage: ObjectStorage;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private readonly batchMaxBytes: number;
  private readonly contentTransforms: Partial<Record<FilePurpose, FileContentTransform>>;

  constructor(options: FileServiceOptions) {
    this.metadata = new FileMetadataStore(options.redis, options.prefix);
    this.storage = options.storage;
    this.now = options.now ?? Date.now;
    this.maxBytes = options.maxBytes ?? FILE_MAX_BYTES;
    this.batchMaxBytes = Math.min(options.batchMaxBytes ?? BATCH_MAX_FILE_BYTES, this.maxBytes);
    this.contentTransforms = { ...options.contentTransforms };
  }

  async create(input: CreateFileInput): Promise<FileRecord> {
    const staged = await this.stage(input);
    return this.commit(staged, input);
  }

  /**
   * Streams the bytes into storage before the purpose may be known: a multipart form can carry the
   * file ahead of its `purpose` field. The body is consumed or destroyed either way.
   */
  async stage(input: StageFileInput): Promise<StagedFile> {
    try {
      if (input.id !== undefined && !isFileId(input.id)) throw new Error(`invalid file id: ${JSON.stringify(input.id)}`);
      if (input.purpose !== undefined) assertFilenameFitsPurpose(input.filename, input.purpose);
    } catch (error) {
      input.body.destroy();
      throw error;
    }
    const id = input.id ?? newFileId();
    const key = fileObjectKey(id);
    const cap = input.purpose === undefined ? this.maxBytes : this.capOf(input.purpose);
    // pipeline rather than pipe: an error on either side destroys both, so a failed store never leaves
    // the caller's body half read.
    const capped = sizeCap(cap);
    pipeline(input.body, capped, () => undefined);
    const { size } = await this.storage.putStream(key, capped, { contentType: contentTypeOf(input.filename) });
    return { id, owner: input.owner, filename: input.filename, key, bytes: size };
  }

  /** Names staged bytes with their purpose and expiry; bytes that break the purpose's rules are deleted. */
  async commit(staged: StagedFile, input: { purpose: FilePurpose; expiresAfterSeconds?: number }): Promise<FileRecord> {
    try {
      assertFilenameFitsPurpose(staged.filename, input.purpose);
      if (staged.bytes > this.capOf(input.purpose)) throw fileTooLarge();
    } catch (error) {
      await this.discard(staged);
      throw error;
    }
    const nowMs = this.now();
    const createdAt = Math.floor(nowMs / 1000);
    const lifetime = input.expiresAfterSeconds ?? (input.purpose === 'batch' ? BATCH_FILE_DEFAULT_EXPIRY_SECONDS : undefined);
    const record: FileRecord = {
      id: staged.id,
      owner: staged.owner,
      bytes: staged.bytes,
      createdAt,
      expiresAt: lifetime === undefined ? null : createdAt + lifetime,
      filename: staged.filename,
      purpose: input.purpose,
      status: 'processed',
      key: staged.key,
    };
    const previous = await this.metadata.get(staged.id);
    try {
      await this.metadata.save(record, nowMs, previous);
    } catch (error) {
      // Bytes under a fresh id would be an orphan; those of a rewrite still belong to the old record.
      if (!previous) await this.discard(staged).catch(() => undefined);
      throw error;
    }
    return record;
  }

  async discard(staged: StagedFile): Promise<void> {
    await this.storage.delete(staged.key);
  }

  async retrieve(owner: string, id: string): Promise<FileRecord | null> {
    if (!isFileId(id)) return null;
    const record = await this.metadata.get(id);
    return record && this.visible(record, owner, this.nowSeconds()) ? record : null;
  }

  async list(owner: string, options: ListFilesOptions): Promise<FilePage> {
    if (options.purpose !== undefined && !(FILE_PURPOSES as readonly string[]).includes(options.purpose)) return { data: [], hasMore: false };
    const nowSeconds = this.nowSeconds();
    const data: FileRecord[] = [];
    let after = options.after;
    let exhausted = false;
    for (let round = 0; round < MAX_LIST_ROUNDS && data.length <= options.limit; round += 1) {
      const count = options.limit + 1 - data.length;
      const ids = await this.metadata.pageIds({ owner, order: options.order, count, ...(options.purpose ? { purpose: options.purpose } : {}), ...(after ? { after } : {}) });
      if (ids === null || ids.length === 0) {
        exhausted = true;
        break;
      }
      for (const record of await this.metadata.getMany(ids)) if (record && this.visible(record, owner, nowSeconds)) data.push(record);
      after = ids.at(-1);
      if (ids.length < count) {
        exhausted = true;
        break;
      }
    }
    return { data: data.slice(0, options.limit), hasMore: data.length > options.limit || !exhausted };
  }

  /** Deletes the bytes, then the metadata: a delete that fails half way can simply be retried. */
  async delete(owner: string, id: string): Promise<boolean> {
    const record = await this.retrieve(owner, id);
    if (!record) return false;
    await this.storage.delete(record.key);
    await this.metadata.remove(record);
    return true;
  }

  /** The file's bytes as stored, through the purpose's content transform when one is registered. */
  async openContent(record: FileRecord): Promise<Readable> {
    const source = await this.storage.getStream(record.key);
    const transform = this.contentTransforms[record.purpose];
    return transform ? transform(source, record) : source;
  }

  /** Deletes files whose expiry has passed, `pageSize` at a time; answers how many it deleted. */
  async sweepExpired(nowSeconds: number, pageSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await this.metadata.expiredIds(nowSeconds, pageSize);
      const records = await this.metadata.getMany(ids);
      let settled = 0;
      for (const [i, record] of records.entries()) {
        if (record && record.expiresAt !== null && record.expiresAt <= nowSeconds) {
          await this.storage.delete(record.key);
          await this.metadata.remove(record);
          deleted += 1;
          settled += 1;
        } else if (!record || record.expiresAt === null) {
          // An entry left behind by a record that is gone or no longer expires.
          await this.metadata.forgetExpiry(ids[i]!);
          settled += 1;
        }
      }
      // A page that settled nothing holds only files rewritten meanwhile with a later expiry: stop there.
      if (ids.length < pageSize || settled === 0) return deleted;
    }
  }

  private capOf(purpose: FilePurpose): number {
    return purpose === 'batch' ? this.batchMaxBytes : this.maxBytes;
  }

  private visible(record: FileRecord, owner: string, nowSeconds: number): boolean {
    return record.owner === owner && (record.expiresAt === null || record.expiresAt > nowSeconds);
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
