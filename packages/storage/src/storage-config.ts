import { z } from 'zod';
import { LocalObjectStorage } from './local-object-storage';
import { S3ObjectStorage } from './s3-object-storage';

/** A directory on this host; links are served by the API and signed with `signingSecret`. */
export const LocalStorageConfigSchema = z.object({
  kind: z.literal('local'),
  root: z.string().min(1),
  publicBaseUrl: z.url(),
  signingSecret: z.string().min(16, 'signingSecret must be at least 16 characters'),
});

/** Any S3-compatible server, or AWS S3 when `endpoint` is absent. See S3ObjectStorageOptions for each field. */
export const S3StorageConfigSchema = z
  .object({
    kind: z.literal('s3'),
    endpoint: z.url().optional(),
    region: z.string().min(1),
    bucket: z.string().min(3).max(63),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    forcePathStyle: z.boolean().optional(),
    keyPrefix: z.string().min(1).optional(),
    publicEndpoint: z.url().optional(),
  })
  .refine((config) => (config.accessKeyId === undefined) === (config.secretAccessKey === undefined), {
    message: 'set both accessKeyId and secretAccessKey, or neither',
    path: ['secretAccessKey'],
  });

export const StorageConfigSchema = z.discriminatedUnion('kind', [LocalStorageConfigSchema, S3StorageConfigSchema]);

export type LocalStorageConfig = z.infer<typeof LocalStorageConfigSchema>;
export type S3StorageConfig = z.infer<typeof S3StorageConfigSchema>;
export type StorageConfig = z.infer<typeof StorageConfigSchema>;

/** Builds the configured store; the config is parsed again so a hand-built object gets the same checks. */
export function createObjectStorage(config: StorageConfig): LocalObjectStorage | S3ObjectStorage {
  const parsed = StorageConfigSchema.parse(config);
  if (parsed.kind === 'local') return new LocalObjectStorage(parsed);
  const { kind: _kind, ...options } = parsed;
  return new S3ObjectStorage(options);
}

