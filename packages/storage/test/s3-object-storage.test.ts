import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startS3Server, uniqueBucketName, useS3Server } from '@imageforge/testing';
import { S3ObjectStorage, StorageUnavailableError, type S3ObjectStorageOptions } from '../src';
import { describeObjectStorageConformance } from './object-storage.conformance';

const s3 = useS3Server();

function options(overrides: Partial<S3ObjectStorageOptions> = {}): S3ObjectStorageOptions {
  return { endpoint: s3.endpoint, region: s3.region, bucket: 'unset', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, ...overrides };
}

/** Fetches a presigned link the way an API caller's browser would; null when S3 refuses it. */
async function fetchBytes(url: string): Promise<Buffer | null> {
  const response = await fetch(url);
  if (response.status === 403) return null;
  if (!response.ok) throw new Error(`unexpected ${response.status} for ${url}: ${await response.text()}`);
  return Buffer.from(await response.arrayBuffer());
}

describeObjectStorageConformance(S3ObjectStorage.name, async () => {
  const bucket = uniqueBucketName();
  await s3.createBucket(bucket);
  const storage = new S3ObjectStorage(options({ bucket }));
  return { storage, readSignedUrl: fetchBytes, teardown: async () => storage.close() };
});

describe(S3ObjectStorage.name, () => {
  const opened: S3ObjectStorage[] = [];
  const open = (overrides: Partial<S3ObjectStorageOptions>): S3ObjectStorage => {
    const storage = new S3ObjectStorage(options(overrides));
    opened.push(storage);
    return storage;
  };
  afterAll(() => opened.forEach((storage) => storage.close()));

  it('fails ping when the S3 server has stopped', async () => {
    const server = await startS3Server();
    await server.close();
    await expect(open({ endpoint: server.endpoint, bucket: 'any-bucket' }).ping()).rejects.toThrow();
  });

  it('answers putStream and getStream with StorageUnavailableError while the S3 server is down', async () => {
    const server = await startS3Server();
    await server.close();
    const storage = open({ endpoint: server.endpoint, bucket: 'any-bucket' });
    const put = await storage.putStream('files/f1', Readable.from([randomBytes(100)]), { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(put).toBeInstanceOf(StorageUnavailableError);
    expect((put as StorageUnavailableError).operation).toBe('put');
    const get = await storage.getStream('files/f1').catch((e: unknown) => e);
    expect(get).toBeInstanceOf(StorageUnavailableError);
    expect((get as StorageUnavailableError).operation).toBe('get');
  });

  it('fails ping when the bucket does not exist', async () => {
    await expect(open({ bucket: uniqueBucketName('absent') }).ping()).rejects.toThrow();
  });

  it('creates a missing bucket in ensureBucket and accepts being called again', async () => {
    const storage = open({ bucket: uniqueBucketName('ensure') });
    await storage.ensureBucket();
    await storage.ensureBucket();
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it('signs links for publicEndpoint so callers can fetch through that host', async () => {
    const bucket = uniqueBucketName();
    await s3.createBucket(bucket);
    const publicEndpoint = s3.endpoint.replace('127.0.0.1', 'localhost');
    const storage = open({ bucket, publicEndpoint });
    const body = randomBytes(256);
    await storage.put('jobs/j1/output/0.png', body, { contentType: 'image/png' });

    const url = await storage.signedUrl('jobs/j1/output/0.png', { expiresInSeconds: 600 });

    expect(url.startsWith(`${publicEndpoint}/${bucket}/jobs/j1/output/0.png?`)).toBe(true);
    expect((await fetchBytes(url))?.equals(body)).toBe(true);
  });

  it('keeps objects under keyPrefix and reads only its own prefix', async () => {
    const bucket = uniqueBucketName();
    await s3.createBucket(bucket);
    const prefixed = open({ bucket, keyPrefix: 'tenant-a/' });
    const plain = open({ bucket });
    await prefixed.put('jobs/j1/input/mask', Buffer.from('mask'), { contentType: 'image/png' });

    expect((await plain.get('tenant-a/jobs/j1/input/mask')).toString()).toBe('mask');
    expect(await plain.head('jobs/j1/input/mask')).toBeNull();
    expect(new URL(await prefixed.signedUrl('jobs/j1/input/mask', { expiresInSeconds: 60 })).pathname).toBe(`/${bucket}/tenant-a/jobs/j1/input/mask`);
  });

  it('rejects credentials given half', () => {
    expect(() => new S3ObjectStorage({ region: 'us-east-1', bucket: 'b', accessKeyId: 'only-id' })).toThrow(/secretAccessKey/);
  });
});
