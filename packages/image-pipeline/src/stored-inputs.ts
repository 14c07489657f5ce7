import { decodeImage, ImageDecodeError, ImageTooLargeError, type RawImage } from '@imageforge/engine-core';
import { PermanentJobError } from '@imageforge/jobs';
import { ObjectNotFoundError, type ObjectStorage } from '@imageforge/storage';

export interface ReadInputOptions {
  /** Largest width*height a stored input may claim before any pixel is decoded. */
  maxPixels: number;
  /** Size the engine works at; inputs are stretched to it. */
  width: number;
  height: number;
}

/**
 * Reads a job input from storage and decodes it to RGBA at the job's size.
 * Bytes that cannot be decoded, or a key that is gone, stay that way on every
 * retry, so they fail the job at once; a storage outage is thrown as is for
 * the queue to retry.
 */
export async function readInputImage(storage: ObjectStorage, key: string, options: ReadInputOptions): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await storage.get(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw new PermanentJobError(`job input ${key} is missing from storage`);
    throw error;
  }
  try {
    return await decodeImage(bytes, options);
  } catch (error) {
    if (error instanceof ImageDecodeError || error instanceof ImageTooLargeError) {
      throw new PermanentJobError(`job input ${key} is not a usable image: ${error.message}`);
    }
    throw error;
  }
}
