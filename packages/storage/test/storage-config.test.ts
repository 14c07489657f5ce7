import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueBucketName, useS3Server } from '@imageforge/testing';
import { ZodError } from 'zod';
import { createObjectStorage, LocalObjectStorage, S3ObjectStorage, StorageConfigSchema } from '../src';

const s3 = useS3Server();

describe(createObjectStorage.name, () => {
  it('builds a working LocalObjectStorage from a local config', async () => {
    const root = await mkdtemp(join(tmpdir(), 'storage-config-'));
    try {
      const storage = createObjectStorage({ kind: 'local', root, publicBaseUrl: 'http://localhost:8080', signingSecret: 'a'.repeat(32) });
      expect(storage).toBeInstanceOf(LocalObjectStorage);
      await storage.put('a/b.txt', Buffer.from('hello'), { contentType: 'text/plain' });
      expect((await storage.get('a/b.txt')).toString()).toBe('hello');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('builds an S3ObjectStorage that addresses a localhost endpoint path-style by default', async () => {
    const bucket = uniqueBucketName();
    await s3.createBucket(bucket);
    const storage = createObjectStorage({
      kind: 's3',
      endpoint: s3.endpoint.replace('127.0.0.1', 'localhost'),
      region: s3.region,
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      expect(storage).toBeInstanceOf(S3ObjectStorage);
      await storage.put('x.txt', Buffer.from('over s3'), { contentType: 'text/plain' });
      expect((await storage.get('x.txt')).toString()).toBe('over s3');
    } finally {
      (storage as S3ObjectStorage).close();
    }
  });

  it('rejects an access key without its secret, naming secretAccessKey', () => {
    const result = StorageConfigSchema.safeParse({ kind: 's3', region: 'us-east-1', bucket: 'images', accessKeyId: 'id' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['secretAccessKey']);
  });

  it('reports every bad field of a local config at once', () => {
    const result = StorageConfigSchema.safeParse({ kind: 'local', root: '', publicBaseUrl: 'not a url', signingSecret: 'short' });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['publicBaseUrl', 'root', 'signingSecret']);
  });

  it('throws a ZodError for an unknown kind', () => {
    expect(() => createObjectStorage({ kind: 'ftp' } as never)).toThrow(ZodError);
  });
});
