import { Transform, type Readable } from 'node:stream';
import { assertValidStreamKey, StorageUnavailableError } from './object-storage';

export interface ByteCounter extends Transform {
  /** Bytes that have passed through so far. */
  readonly bytes: number;
}

/** A pass-through that counts what flows, for stores that learn an object's size only by writing it. */
export function byteCounter(): ByteCounter {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return Object.defineProperty(counter, 'bytes', { get: () => bytes }) as ByteCounter;
}

/**
 * What both stores do with a body they stream: refuse a bad key before reading it,
 * count its bytes, and on failure tell the body's own error (a size cap, a caller who
 * hung up), which is rethrown as it came, from a fault of the store, which is a
 * StorageUnavailableError.
 */
export function acceptStreamedBody(key: string, body: Readable): { counter: ByteCounter; failure(error: unknown): unknown } {
  assertValidStreamKey(key, body);
  let bodyError: unknown;
  body.on('error', (error) => {
    bodyError ??= error;
  });
  return {
    counter: byteCounter(),
    failure(error) {
      if (!body.destroyed) body.destroy();
      return bodyError ?? new StorageUnavailableError('put', key, error);
    },
  };
}
