import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findFreePort } from '@imageforge/embedded-redis';
import S3rver from 's3rver';

/** s3rver accepts any credentials; these are its documented defaults. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3RVER_REGION = 'us-east-1';

export interface RunningS3Server {
  /** e.g. `http://127.0.0.1:41234`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
}

/** Starts s3rver in this process on a free loopback port, storing objects in a fresh temp directory. */
export async function startS3Server(): Promise<RunningS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const port = await findFreePort();
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
  try {
    await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The environment that points the API and workers at `bucket` on an s3rver at `endpoint`. */
export function s3rverStorageEnv(endpoint: string, bucket: string): Record<string, string> {
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: endpoint,
    S3_REGION: S3RVER_REGION,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/** Creates a bucket over the S3 protocol, as a real deployment's provisioning would. */
export async function createS3Bucket(endpoint: string, name: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: S3RVER_REGION,
    credentials: S3RVER_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

export interface S3ServerHandle {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Creates a bucket; give each test its own (see `uniqueBucketName`). */
  createBucket(name: string): Promise<void>;
}

/**
 * Starts s3rver for one test file.
 * Usage: `const s3 = useS3Server();` at the top of a describe; read `s3.endpoint` in tests.
 */
export function useS3Server(): S3ServerHandle {
  let server: RunningS3Server | undefined;
  const running = (): RunningS3Server => {
    if (!server) throw new Error('s3rver not started yet (read it inside a test or hook)');
    return server;
  };
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get endpoint() {
      return running().endpoint;
    },
    region: S3RVER_REGION,
    ...S3RVER_CREDENTIALS,
    createBucket: (name) => createS3Bucket(running().endpoint, name),
  };
}

/** A bucket name no other test uses; valid under S3 naming rules (lowercase, 3-63 characters). */
export function uniqueBucketName(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}
