import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { API_SCOPES, KeyLimitsSchema } from '../principal';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 43 base62 characters carry 43 × log2(62) ≈ 256.03 bits: at least a 256-bit secret. */
const SECRET_CHARS = 43;
const ID_CHARS = 24;
/** What a listing shows of a key: `sk-` and its first 4 secret characters, enough to tell keys apart. */
const SHOWN_PREFIX_CHARS = 7;

export const API_KEY_PATTERN = /^sk-[A-Za-z0-9]{43}$/;
export const KEY_ID_PATTERN = /^key_[A-Za-z0-9]{24}$/;

function base62(length: number): string {
  // 248 is the largest multiple of 62 under 256: rejecting bytes above it keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A new secret, `sk-` and 43 base62 characters; only its sha256 is ever stored. */
export function newApiKey(): string {
  return `sk-${base62(SECRET_CHARS)}`;
}

/** `key_` and 24 base62 characters (about 143 bits): the public name of a key. */
export function newKeyId(): string {
  return `key_${base62(ID_CHARS)}`;
}

/**
 * sha256 hex of a presented key: the owner id jobs, files and batches carry, and the name the
 * key's record is found under. The same for static and managed keys, so ownership is one rule.
 */
export function apiKeyOwner(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function shownPrefixOf(key: string): string {
  return key.slice(0, SHOWN_PREFIX_CHARS);
}

/** What Redis keeps about a managed key beside its hash (never the key itself). */
export const storedApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(API_SCOPES)),
  limits: KeyLimitsSchema,
  /** Unix seconds. */
  createdAt: z.number().int(),
});
export type StoredApiKey = z.infer<typeof storedApiKeySchema>;

/** A managed key as read back: its record, the owner id (its hash) and when it was last used. */
export interface ApiKeyRecord extends StoredApiKey {
  owner: string;
  /** Unix seconds, kept to the minute; null until first used. */
  lastUsedAt: number | null;
}
