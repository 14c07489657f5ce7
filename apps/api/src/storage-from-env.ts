import { createObjectStorage, type StorageConfig } from '@imageforge/storage';
import type { ApiEnv } from './api-config';

/** The API's storage: it writes inputs, reads outputs and signs links. */
export function storageConfigFromEnv(env: ApiEnv, publicBaseUrl: string): StorageConfig {
  if (env.STORAGE_DRIVER === 's3') {
    return {
      kind: 's3',
      endpoint: env.S3_ENDPOINT,
      publicEndpoint: env.S3_PUBLIC_ENDPOINT,
      region: env.S3_REGION,
      bucket: env.S3_BUCKET ?? '',
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
    };
  }
  return { kind: 'local', root: env.STORAGE_LOCAL_DIR, publicBaseUrl, signingSecret: env.STORAGE_SIGNING_SECRET ?? '' };
}

export { createObjectStorage };
