import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline, Readable, type Duplex } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { acceptStreamedBody } from './streamed-body';
import {
  assertValidKey,
  DELETE_MANY_LIMIT,
  ObjectNotFoundError,
  StorageUnavailableError,
  type ListOptions,
  type ListPage,
  type ObjectStorage,
  type PutOptions,
  type PutStreamResult,
  type SignedUrlOptions,
  type StoredObjectInfo,
} from './object-storage';

export interface S3ObjectStorageOptions {
  /** Base URL of an S3-compatible server (Garage, SeaweedFS, s3rver). Default: absent, meaning AWS S3 in `region`. */
  endpoint?: string;
  /** Region to sign requests for; S3-compatible servers usually accept any, e.g. `us-east-1`. */
  region: string;
  /** Bucket holding every object of this store. */
  bucket: string;
  /** Access key. Default: absent, meaning the SDK's default credential chain (env, profile, instance role). */
  accessKeyId?: string;
  /** Secret for `accessKeyId`; required when `accessKeyId` is set. */
  secretAccessKey?: string;
  /**
   * Address buckets as `endpoint/bucket` instead of `bucket.endpoint`.
   * Default: true when `endpoint` is set (a `localhost` endpoint cannot resolve `bucket.localhost`), false for AWS.
   */
  forcePathStyle?: boolean;
  /** Prepended to every key (e.g. `imageforge/`), so one bucket can serve several deployments. Default: none. */
  keyPrefix?: string;
  /**
   * Base URL that callers use to reach the S3 server, used only in presigned links, for when the service reaches it
   * under an internal name (e.g. `http://garage:3900` inside docker, `http://localhost:3900` outside).
   * Default: `endpoint`.
   */
  publicEndpoint?: string;
  /** Upper bound of concurrent connections to the S3 server; keep-alive reuses them between requests. Default: 64. */
  maxSockets?: number;
  /** Milliseconds to wait for a TCP connection before failing the request. Default: 5000. */
  connectionTimeoutMs?: number;
}

const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;
/**
 * Multipart part size and parts in flight for putStream: an upload holds at most about
 * PART_SIZE * (PARTS_IN_FLIGHT + 1) bytes however large the body, and S3's 10,000-part cap
 * still allows 50 GB objects.
 */
const STREAM_PART_SIZE = 5 * 1024 * 1024;
const STREAM_PARTS_IN_FLIGHT = 2;

export class S3ObjectStorage implements ObjectStorage {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly keyPrefix: string;

  constructor(options: S3ObjectStorageOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix ?? '';
    if (this.keyPrefix) assertValidKey(`${this.keyPrefix}x`);
    this.client = new S3Client(clientConfig(options, options.endpoint));
    // Signing needs no connection, so a second client costs nothing; the signature covers the host, so the
    // link must be signed for the public host rather than rewritten afterwards.
    this.presignClient = options.publicEndpoint && options.publicEndpoint !== options.endpoint
      ? new S3Client(clientConfig(options, options.publicEndpoint))
      : this.client;
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Body: body,
      ContentLength: body.length,
      ContentType: options.contentType,
    });
    try {
      await this.client.send(command);
    } catch (error) {
      throw new StorageUnavailableError('put', key, error);
    }
  }

  async putStream(key: string, body: Readable, options: PutOptions): Promise<PutStreamResult> {
    const { counter, failure } = acceptStreamedBody(key, body);
    // pipeline hands a body error on to the counter, which the upload reads, so the upload fails
    // instead of completing with what arrived so far.
    const source = pipelineInto(body, counter);
    // A body under one part goes up as a single PutObject once it has all arrived; a longer one as a
    // multipart upload that is completed only after its last part, and aborted on any error, so no
    // partial object ever shows at the key.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: source, ContentType: options.contentType },
      partSize: STREAM_PART_SIZE,
      queueSize: STREAM_PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return { size: counter.bytes };
    } catch (error) {
      if (!source.destroyed) source.destroy();
      throw failure(error);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!response.Body) throw new Error(`S3 returned no body for ${key}`);
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw new StorageUnavailableError('get', key, error);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const objectKey = this.objectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if (!(response.Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
      return response.Body;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw new StorageUnavailableError('get', key, error);
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: response.ContentLength ?? 0, contentType: response.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    for (let start = 0; start < objectKeys.length; start += DELETE_MANY_LIMIT) {
      const chunk = objectKeys.slice(start, start + DELETE_MANY_LIMIT);
      let refused: { Key?: string; Code?: string; Message?: string } | undefined;
      try {
        // Quiet: the answer lists only the keys S3 could not delete, not the thousand it did.
        const response = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
        refused = response.Errors?.[0];
      } catch (error) {
        throw new StorageUnavailableError('delete', chunk[0]!.slice(this.keyPrefix.length), error);
      }
      if (refused) {
        throw new StorageUnavailableError('delete', (refused.Key ?? chunk[0]!).slice(this.keyPrefix.length), new Error(`${refused.Code ?? 'error'}: ${refused.Message ?? ''}`));
      }
    }
  }

  /** Incomplete multipart uploads are the bucket lifecycle rule's to abort (AbortIncompleteMultipartUpload). */
  async deleteAbandonedWrites(): Promise<number> {
    return 0;
  }

  async list(prefix: string, options: ListOptions): Promise<ListPage> {
    // ListObjects (v1) with a key marker rather than v2's opaque continuation tokens: every
    // S3-compatible server pages it the same way (s3rver's v2 tokens need DES, which Node 20 lacks).
    const response = await this.client.send(
      new ListObjectsCommand({
        Bucket: this.bucket,
        Prefix: this.keyPrefix + prefix,
        MaxKeys: options.limit,
        ...(options.after !== undefined ? { Marker: this.keyPrefix + options.after } : {}),
      }),
    );
    const objects = (response.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [{ key: object.Key.slice(this.keyPrefix.length), size: object.Size ?? 0, lastModified: object.LastModified?.getTime() ?? 0 }],
    );
    const last = objects.at(-1);
    return response.IsTruncated && last ? { objects, next: last.key } : { objects };
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    return getSignedUrl(this.presignClient, command, { expiresIn: options.expiresInSeconds });
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Creates the bucket when it does not exist yet; for dev stacks and tests, where nobody provisions it. */
  async ensureBucket(): Promise<void> {
    try {
      await this.ping();
      return;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'NotFound' && name !== 'NoSuchBucket') throw error;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      // Another process starting at the same time may have won the race.
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }

  /** Closes pooled connections; the instance is unusable afterwards. */
  close(): void {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.keyPrefix + key;
  }
}

/** `body` piped into `into`, an error on either side destroying both; `into` is returned for reading. */
function pipelineInto<T extends Duplex>(body: Readable, into: T): T {
  pipeline(body, into, () => undefined);
  return into;
}

function clientConfig(options: S3ObjectStorageOptions, endpoint: string | undefined): S3ClientConfig {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS };
  const config: S3ClientConfig = {
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    },
  };
  if (endpoint !== undefined) {
    config.endpoint = endpoint;
    // Under the SDK's default checksums, bodies go out with aws-chunked framing that many S3-compatible
    // servers (s3rver among them) store verbatim inside the object.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (options.accessKeyId !== undefined) {
    if (options.secretAccessKey === undefined) throw new Error('S3ObjectStorage: accessKeyId is set but secretAccessKey is not');
    config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  }
  return config;
}

/** A missing key is an answer; a missing bucket is a misconfiguration and stays an error. */
function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e?.name === 'NoSuchBucket') return false;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
