import { Transform } from 'node:stream';

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
