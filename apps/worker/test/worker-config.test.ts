import { parseWorkerConfig, WorkerConfigError } from '../src/worker-config';

describe(parseWorkerConfig.name, () => {
  it('applies the defaults when only REDIS_URL is set', () => {
    const config = parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config).toMatchObject({
      redis: { url: 'redis://127.0.0.1:6379' },
      queues: undefined,
      worker: { concurrency: 2, shutdownTimeoutMs: 30_000, lockDurationMs: undefined },
      models: { registryPath: undefined },
      storage: { kind: 'local', root: './.data/objects' },
      log: { level: 'info' },
    });
  });

  it('builds an s3 storage config and a deduplicated queue list', () => {
    const config = parseWorkerConfig({
      REDIS_URL: 'redis://redis:6379',
      WORKER_QUEUES: 'gpu, images,gpu',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'http://garage:3900',
      S3_BUCKET: 'images',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.queues).toEqual(['gpu', 'images']);
    expect(config.storage).toEqual({
      kind: 's3',
      endpoint: 'http://garage:3900',
      region: 'us-east-1',
      bucket: 'images',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
  });

  it('encodes stream previews as the final image unless told a longest side and a quality', () => {
    expect(parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).previews).toEqual({});
    expect(parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379', STREAM_PREVIEW_MAX_SIDE: '256', STREAM_PREVIEW_COMPRESSION: '60' }).previews).toEqual({ maxSide: 256, compression: 60 });
    expect(() => parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379', STREAM_PREVIEW_MAX_SIDE: '8', STREAM_PREVIEW_COMPRESSION: '101' })).toThrow(/STREAM_PREVIEW_MAX_SIDE[\s\S]*STREAM_PREVIEW_COMPRESSION/);
  });

  it('reports every bad variable in one error', () => {
    let error: unknown;
    try {
      parseWorkerConfig({
        WORKER_CONCURRENCY: 'zero',
        WORKER_SHUTDOWN_TIMEOUT_MS: '-1',
        STORAGE_DRIVER: 's3',
        S3_FORCE_PATH_STYLE: 'yes',
        S3_ACCESS_KEY_ID: 'key-without-secret',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WorkerConfigError);
    const message = (error as Error).message;
    for (const key of ['REDIS_URL', 'WORKER_CONCURRENCY', 'WORKER_SHUTDOWN_TIMEOUT_MS', 'S3_FORCE_PATH_STYLE', 'LOG_LEVEL', 'S3_BUCKET', 'S3_SECRET_ACCESS_KEY']) {
      expect(message).toMatch(new RegExp(`^  ${key}: `, 'm'));
    }
  });

  it('takes an S3 key prefix so deployments can share a bucket, and refuses one that is not a folder', () => {
    const s3 = { REDIS_URL: 'redis://r:6379', STORAGE_DRIVER: 's3', S3_BUCKET: 'images' };
    expect(parseWorkerConfig({ ...s3, S3_KEY_PREFIX: 'prod/eu/' }).storage).toMatchObject({ kind: 's3', keyPrefix: 'prod/eu/' });
    expect(() => parseWorkerConfig({ ...s3, S3_KEY_PREFIX: 'prod' })).toThrow(/S3_KEY_PREFIX/);
  });

  it('reads the minimum lane shares, 0.1 each by default, and refuses floors above the whole capacity', () => {
    const redis = { REDIS_URL: 'redis://r:6379' };
    expect(parseWorkerConfig(redis).worker.minShares).toEqual({ batch: 0.1, async: 0.1 });
    expect(parseWorkerConfig({ ...redis, WORKER_BATCH_MIN_SHARE: '0.25', WORKER_ASYNC_MIN_SHARE: '0' }).worker.minShares).toEqual({ batch: 0.25, async: 0 });
    expect(() => parseWorkerConfig({ ...redis, WORKER_BATCH_MIN_SHARE: '1.5' })).toThrow(/^  WORKER_BATCH_MIN_SHARE: /m);
    expect(() => parseWorkerConfig({ ...redis, WORKER_BATCH_MIN_SHARE: '0.7', WORKER_ASYNC_MIN_SHARE: '0.5' })).toThrow(/more than all of the capacity/);
  });

  it('treats empty variables as unset', () => {
    expect(parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379', WORKER_QUEUES: '', S3_BUCKET: '' }).queues).toBeUndefined();
  });
});
