import { z } from 'zod';
import type { S3StorageConfig } from './storage-config';

/**
 * The storage variables the API and the workers both read: they must point at the
 * same store, so they are declared once and spread into each app's env schema.
 */
export const storageEnvShape = {
  /** `local` (a directory, links served by the API) or `s3`. */
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  /** Directory for local storage; the API and workers must share it. */
  STORAGE_LOCAL_DIR: z.string().min(1).default('./.data/objects'),
  /** S3-compatible endpoint; unset means AWS. */
  S3_ENDPOINT: z.url().optional(),
  /** Endpoint put in presigned links when callers reach S3 by another address. */
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Required when STORAGE_DRIVER=s3. */
  S3_BUCKET: z.string().min(3).max(63).optional(),
  /** Set with S3_SECRET_ACCESS_KEY, or neither to use the SDK's credential chain. */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /**
   * Prepended to every object key, e.g. `prod/`: deployments sharing one bucket need different ones, or
   * each one's retention sweep would take the other's objects for orphans.
   */
  S3_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/, "path segments ending in '/', e.g. prod/").optional(),
  /** Path-style addressing; needed by most S3-compatible servers. Default: true with an endpoint. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
};

/** Rules spanning storage variables, checked on the raw values so they are reported with every other problem. */
export function storageEnvProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) problems.push('  S3_BUCKET: required when STORAGE_DRIVER=s3');
  if ((env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push('  S3_SECRET_ACCESS_KEY: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither');
  }
  return problems;
}

export type StorageEnv = z.infer<z.ZodObject<typeof storageEnvShape>>;

/** The S3 store the storage variables name; call only when STORAGE_DRIVER=s3 (S3_BUCKET is then required). */
export function s3StorageConfigFromEnv(env: StorageEnv): S3StorageConfig {
  return {
    kind: 's3',
    endpoint: env.S3_ENDPOINT,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET ?? '',
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    keyPrefix: env.S3_KEY_PREFIX,
  };
}
