import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { NormalizedImageParams } from '@imageforge/contracts';
import { LocalObjectStorage, S3ObjectStorage, type ObjectStorage } from '@imageforge/storage';
import { uniqueBucketName, type S3ServerHandle } from '@imageforge/testing';
import sharp from 'sharp';

/** A store under test plus a way to list what really landed in it, which ObjectStorage itself cannot do. */
export interface StorageBackend {
  storage: ObjectStorage;
  listKeys(prefix: string): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function localBackend(): Promise<StorageBackend> {
  const root = await mkdtemp(join(tmpdir(), 'pipeline-store-'));
  const storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'local-test-secret-0123456789' });
  return {
    storage,
    async listKeys(prefix) {
      const base = join(root, 'objects');
      const entries = await readdir(join(base, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(base, join(entry.parentPath, entry.name)))
        .sort();
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

export async function s3Backend(s3: S3ServerHandle): Promise<StorageBackend> {
  const bucket = uniqueBucketName('pipeline');
  await s3.createBucket(bucket);
  const connection = { endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, forcePathStyle: true };
  const storage = new S3ObjectStorage({ ...connection, ...connection.credentials, bucket });
  const lister = new S3Client({ ...connection, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    storage,
    async listKeys(prefix) {
      const listed = await lister.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async dispose() {
      storage.close();
      lister.destroy();
    },
  };
}

export function params(overrides: Partial<NormalizedImageParams> = {}): NormalizedImageParams {
  return {
    model: 'gpt-image-1',
    profile: 'gpt-image',
    n: 1,
    width: 64,
    height: 48,
    quality: 'low',
    responseFormat: 'b64_json',
    outputFormat: 'png',
    background: 'opaque',
    ...overrides,
  };
}

/** The fields every job payload carries; add `prompt`, `imageKeys`, `imageKey` per job. */
export function jobBase(overrides: Partial<NormalizedImageParams> = {}) {
  return { requestId: 'req-test', owner: 'owner-test', acceptedAt: 1_700_000_000_000, params: params(overrides) };
}

/** Opaque png with a gradient, so a change anywhere in it is visible. */
export async function gradientPng(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = Math.round((x * 255) / (width - 1));
      data[i + 1] = Math.round((y * 255) / (height - 1));
      data[i + 2] = (x * 7 + y * 3) & 0xff;
      data[i + 3] = 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** png mask whose left half is transparent (the region to repaint) and right half opaque. */
export async function leftHalfMaskPng(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) data[(y * width + x) * 4 + 3] = 0;
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export async function decodeRgba(bytes: Buffer) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
