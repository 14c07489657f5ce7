import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { FILE_PURPOSES } from '@imageforge/contracts';

/**
 * One stored file: what Redis keeps about it (never its bytes). `owner` is the API key's hash,
 * `key` where the bytes live in object storage.
 */
export const fileRecordSchema = z.object({
  id: z.string(),
  owner: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Unix seconds. */
  createdAt: z.number().int(),
  /** Unix seconds; null: kept until deleted. */
  expiresAt: z.number().int().nullable(),
  filename: z.string(),
  purpose: z.enum(FILE_PURPOSES),
  status: z.literal('processed'),
  key: z.string(),
});

export type FileRecord = z.infer<typeof fileRecordSchema>;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_PATTERN = /^file-[A-Za-z0-9_-]{1,100}$/;

/** `file-` and 24 base62 characters (about 143 bits), the look of OpenAI's ids. */
export function newFileId(): string {
  // 248 is the largest multiple of 62 under 256: rejecting bytes above it keeps every character equally likely.
  let id = 'file-';
  while (id.length < 29) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && id.length < 29) id += ID_ALPHABET[byte % 62];
    }
  }
  return id;
}

/** Ids this service hands out or accepts from callers choosing their own; anything else is no file. */
export function isFileId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Storage key of a file's bytes: derived from the id alone, so a rewrite under the same id replaces them. */
export function fileObjectKey(id: string): string {
  return `files/${id}`;
}

const CONTENT_TYPES: Record<string, string> = {
  jsonl: 'application/jsonl',
  json: 'application/json',
  txt: 'text/plain',
  csv: 'text/csv',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/** The content type stored with the bytes, judged by the file name as OpenAI judges file formats. */
export function contentTypeOf(filename: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return (extension && CONTENT_TYPES[extension]) || 'application/octet-stream';
}
