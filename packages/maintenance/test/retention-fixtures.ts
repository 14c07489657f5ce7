import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobContext } from '@imageforge/jobs';
import { LocalObjectStorage, S3ObjectStorage, type ObjectStorage } from '@imageforge/storage';
import { uniqueBucketName, type S3ServerHandle } from '@imageforge/testing';
import type { SweepLogger } from '../src';

/** One store under test; `client()` opens another connection to the same objects, as a second worker would. */
export interface SweptStore {
  kind: 'local' | 's3';
  storage: ObjectStorage;
  client(): ObjectStorage;
  /** Every key in the store, sorted. */
  keys(): Promise<string[]>;
  /** Local only: the directory of the store. */
  root?: string;
  dispose(): Promise<void>;
}

const SECRET = 'retention-test-secret-0123';

export async function localStore(): Promise<SweptStore> {
  const root = await mkdtemp(join(tmpdir(), 'retention-'));
  const open = () => new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: SECRET });
  const storage = open();
  return { kind: 'local', storage, client: open, keys: () => allKeys(storage), root, dispose: () => rm(root, { recursive: true, force: true }) };
}

export async function s3Store(s3: S3ServerHandle): Promise<SweptStore> {
  const bucket = uniqueBucketName('retention');
  await s3.createBucket(bucket);
  const opened: S3ObjectStorage[] = [];
  const open = () => {
    const storage = new S3ObjectStorage({ endpoint: s3.endpoint, region: s3.region, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    opened.push(storage);
    return storage;
  };
  const storage = open();
  return {
    kind: 's3',
    storage,
    client: open,
    keys: () => allKeys(storage),
    dispose: async () => opened.forEach((client) => client.close()),
  };
}

async function allKeys(storage: ObjectStorage): Promise<string[]> {
  const keys: string[] = [];
  let after: string | undefined;
  do {
    const page = await storage.list('', { limit: 1_000, ...(after !== undefined ? { after } : {}) });
    keys.push(...page.objects.map((object) => object.key));
    after = page.next;
  } while (after !== undefined);
  return keys.sort();
}

export function sweepContext(signal = new AbortController().signal): JobContext {
  return {
    jobId: `sweep-${randomUUID()}`,
    attempt: 1,
    signal,
    reportProgress: async () => undefined,
    announcePartialImage: async () => undefined,
  };
}

/** Collects what a sweep logs. */
export function recordingLogger(): SweepLogger & { lines: Array<{ message: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
  return { lines, info: (fields, message) => lines.push({ message, fields }) };
}

export function put(storage: ObjectStorage, key: string): Promise<void> {
  return storage.put(key, Buffer.from(key), { contentType: 'application/octet-stream' });
}

/** A gate both sides must reach before either goes on: forces two sweeps to overlap. */
export function meetingPoint(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived === parties) open();
    await opened;
  };
}
