import { createObjectStorage, s3StorageConfigFromEnv, type StorageConfig } from '@imageforge/storage';
import type { ApiEnv } from './api-config';

/** The API's storage: it writes inputs, reads outputs and signs links. */
export function storageConfigFromEnv(env: ApiEnv, publicBaseUrl: string): StorageConfig {
  if (env.STORAGE_DRIVER === 's3') return s3StorageConfigFromEnv(env);
  return { kind: 'local', root: env.STORAGE_LOCAL_DIR, publicBaseUrl, signingSecret: env.STORAGE_SIGNING_SECRET ?? '' };
}

export { createObjectStorage };
