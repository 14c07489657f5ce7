import { integerAboveMax, integerBelowMin, invalidType } from '../request-errors';

/** OpenAI's cursor-paged lists (`/v1/files`, `/v1/batches`): the page shape and its `limit` / `after` query. */

/** A cursor page as openai-node's CursorPage reads it. */
export interface CursorList<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export function toCursorList<T extends { id: string }>(data: T[], hasMore: boolean): CursorList<T> {
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

/** `limit` / `after` of a list call, within the resource's own bounds (batches: 1-100, default 20). */
export function parseCursorQuery(query: Record<string, unknown>, options: { maxLimit: number; defaultLimit: number }): { limit: number; after?: string } {
  const rawLimit = query.limit;
  let limit = options.defaultLimit;
  if (rawLimit !== undefined) {
    limit = Number(rawLimit);
    if (typeof rawLimit !== 'string' || !/^-?\d+$/.test(rawLimit)) throw invalidType('limit', 'an integer', rawLimit);
    if (limit < 1) throw integerBelowMin('limit', limit, 1);
    if (limit > options.maxLimit) throw integerAboveMax('limit', limit, options.maxLimit);
  }
  const after = query.after;
  if (after !== undefined && typeof after !== 'string') throw invalidType('after', 'a string', after);
  return after ? { limit, after } : { limit };
}
