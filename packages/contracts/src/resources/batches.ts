import { InvalidRequestError } from '../api-errors';
import type { ApiErrorBody } from '../api-errors';
import { integerAboveMax, integerBelowMin, invalidType, invalidValue, missingParameter, stringTooLong, unknownParameter } from '../request-errors';
import type { ImagesResponse } from './images';

/** OpenAI's Batch resource (`/v1/batches`) for the image endpoints, and the lines of its files. */

export const BATCH_STATUSES = ['validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);

/** The endpoints a batch may run here; OpenAI's others (chat, embeddings, …) are refused on `endpoint`. */
export const BATCH_ENDPOINTS = ['/v1/images/generations', '/v1/images/edits'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

export const BATCH_COMPLETION_WINDOWS = ['24h'] as const;
export const BATCH_MAX_LINES = 50_000;
export const BATCH_MAX_FILE_BYTES = 200 * 1024 * 1024;
const METADATA_MAX_PAIRS = 16;
const METADATA_KEY_MAX = 64;
const METADATA_VALUE_MAX = 512;
const EXPIRES_MIN_SECONDS = 3600;
const EXPIRES_MAX_SECONDS = 2_592_000;

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line of the input file. */
  line: number | null;
}

export interface BatchRequestCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface Batch {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  model: string | null;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: BatchRequestCounts;
  usage: BatchUsage;
  metadata: Record<string, string> | null;
}

export interface BatchCreateParams {
  input_file_id: string;
  endpoint: BatchEndpoint;
  completion_window: '24h';
  metadata: Record<string, string> | null;
  /** Seconds after creation that the output and error files expire, if given. */
  outputExpiresAfterSeconds?: number;
}

/** One line of an input file, once the file-level checks passed. */
export interface BatchInputLine {
  custom_id: string;
  method: 'POST';
  url: BatchEndpoint;
  body: Record<string, unknown>;
}

/** One line of the output or error file. */
export interface BatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: ImagesResponse | ApiErrorBody } | null;
  error: { code: string; message: string } | null;
}

const CREATE_FIELDS = new Set(['input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after']);

/** `POST /v1/batches`, checked as OpenAI checks it. */
export function validateBatchCreate(body: Record<string, unknown>): BatchCreateParams {
  const unknown = Object.keys(body).find((key) => !CREATE_FIELDS.has(key));
  if (unknown !== undefined) throw unknownParameter(unknown);
  const inputFileId = requiredString(body, 'input_file_id');
  const endpoint = requiredString(body, 'endpoint');
  if (!(BATCH_ENDPOINTS as readonly string[]).includes(endpoint)) throw invalidValue('endpoint', endpoint, BATCH_ENDPOINTS);
  const window = requiredString(body, 'completion_window');
  if (!(BATCH_COMPLETION_WINDOWS as readonly string[]).includes(window)) throw invalidValue('completion_window', window, BATCH_COMPLETION_WINDOWS);
  const outputExpiresAfterSeconds = parseExpiresAfter(body.output_expires_after);
  return {
    input_file_id: inputFileId,
    endpoint: endpoint as BatchEndpoint,
    completion_window: '24h',
    metadata: parseMetadata(body.metadata),
    ...(outputExpiresAfterSeconds !== undefined ? { outputExpiresAfterSeconds } : {}),
  };
}

function requiredString(body: Record<string, unknown>, param: string): string {
  const value = body[param];
  if (value === undefined || value === null) throw missingParameter(param);
  if (typeof value !== 'string') throw invalidType(param, 'a string', value);
  if (value.length === 0) {
    throw new InvalidRequestError(`Invalid '${param}': empty string. Expected a string with minimum length 1, but got an empty string instead.`, {
      param,
      code: 'empty_string',
    });
  }
  return value;
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType('metadata', 'an object', value);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > METADATA_MAX_PAIRS) {
    throw new InvalidRequestError(
      `Invalid 'metadata': too many properties. Expected an object with at most ${METADATA_MAX_PAIRS} properties, but got an object with ${entries.length} properties instead.`,
      { param: 'metadata', code: 'object_above_max_properties' },
    );
  }
  for (const [key, entry] of entries) {
    if (key.length > METADATA_KEY_MAX) {
      throw new InvalidRequestError(
        `Invalid 'metadata': string too long. Expected a string with maximum length ${METADATA_KEY_MAX}, but got a string with length ${key.length} instead.`,
        { param: 'metadata', code: 'string_above_max_length' },
      );
    }
    if (typeof entry !== 'string') throw invalidType(`metadata.${key}`, 'a string', entry);
    if (entry.length > METADATA_VALUE_MAX) throw stringTooLong(`metadata.${key}`, METADATA_VALUE_MAX, entry.length);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseExpiresAfter(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType('output_expires_after', 'an object', value);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => key !== 'anchor' && key !== 'seconds');
  if (unknown !== undefined) throw unknownParameter(`output_expires_after.${unknown}`);
  if (fields.anchor === undefined) throw missingParameter('output_expires_after.anchor');
  if (fields.anchor !== 'created_at') invalidAnchor(fields.anchor);
  const seconds = fields.seconds;
  if (seconds === undefined) throw missingParameter('output_expires_after.seconds');
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) throw invalidType('output_expires_after.seconds', 'an integer', seconds);
  if (seconds < EXPIRES_MIN_SECONDS) throw integerBelowMin('output_expires_after.seconds', seconds, EXPIRES_MIN_SECONDS);
  if (seconds > EXPIRES_MAX_SECONDS) throw integerAboveMax('output_expires_after.seconds', seconds, EXPIRES_MAX_SECONDS);
  return seconds;
}

function invalidAnchor(anchor: unknown): never {
  if (typeof anchor !== 'string') throw invalidType('output_expires_after.anchor', 'a string', anchor);
  throw invalidValue('output_expires_after.anchor', anchor, ['created_at']);
}
