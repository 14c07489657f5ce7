import { createObjectStorage, s3StorageConfigFromEnv, type StorageConfig } from '@imageforge/storage';
import type { ApiEnv } from './api-config';
import { LOCAL_OBJECTS_ROUTE } from './routes/local-objects.handler';

/** The API's storage: it writes inputs, reads outputs and signs links (local links point at its own objects route). */
export function storageConfigFromEnv(env: ApiEnv, publicBaseUrl: string): StorageConfig {
  if (env.STORAGE_DRIVER === 's3') return s3StorageConfigFromEnv(env);
  const base = `${publicBaseUrl.replace(/\/+$/, '')}${LOCAL_OBJECTS_ROUTE}`;
  return { kind: 'local', root: env.STORAGE_LOCAL_DIR, publicBaseUrl: base, signingSecret: env.STORAGE_SIGNING_SECRET ?? '' };
}

export { createObjectStorage };
