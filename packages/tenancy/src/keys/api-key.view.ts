import { z } from 'zod';
import { API_SCOPES, KeyLimitsSchema, type ApiScope, type KeyLimits } from '../principal';
import type { ApiKeyRecord } from './api-key';

/** The admin API's wire shapes for `/admin/api/keys`: its request bodies and the `api_key` object. */

const NameSchema = z.string().trim().min(1, 'name must not be empty').max(256, 'name must be at most 256 characters');
const ScopesSchema = z
  .array(z.enum(API_SCOPES))
  .min(1, `scopes must name at least one of ${API_SCOPES.join(', ')}`)
  .transform((scopes) => API_SCOPES.filter((scope) => scopes.includes(scope)));

/** `POST /admin/api/keys`. Scopes default to all of them; absent limits fall back to the server's defaults. */
export const CreateApiKeyParamsSchema = z.strictObject({
  name: NameSchema,
  scopes: ScopesSchema.optional(),
  limits: KeyLimitsSchema.optional(),
});
export type CreateApiKeyParams = z.infer<typeof CreateApiKeyParamsSchema>;

/** `POST /admin/api/keys/{id}`: each field given replaces that field (`limits` as a whole). */
export const UpdateApiKeyParamsSchema = z.strictObject({
  name: NameSchema.optional(),
  scopes: ScopesSchema.optional(),
  limits: KeyLimitsSchema.optional(),
});
export type UpdateApiKeyParams = z.infer<typeof UpdateApiKeyParamsSchema>;

export interface ApiKeyObject {
  object: 'api_key';
  id: string;
  name: string;
  /** The key's first characters (`sk-` and four more), to tell keys apart; never the key. */
  prefix: string;
  scopes: ApiScope[];
  limits: KeyLimits;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds, to the minute; null until first used. */
  last_used_at: number | null;
}

/** The answer to a create: the only time the key itself is shown. */
export interface CreatedApiKeyObject extends ApiKeyObject {
  key: string;
}

export interface ApiKeyDeleted {
  object: 'api_key.deleted';
  id: string;
  deleted: true;
}

export function toApiKeyObject(record: ApiKeyRecord): ApiKeyObject {
  return {
    object: 'api_key',
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    scopes: [...record.scopes],
    limits: { ...record.limits },
    created_at: record.createdAt,
    last_used_at: record.lastUsedAt,
  };
}

export function toApiKeyList(records: readonly ApiKeyRecord[]): { object: 'list'; data: ApiKeyObject[]; has_more: false } {
  return { object: 'list', data: records.map(toApiKeyObject), has_more: false };
}

export function toApiKeyDeleted(id: string): ApiKeyDeleted {
  return { object: 'api_key.deleted', id, deleted: true };
}
