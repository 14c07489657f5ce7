import { InvalidRequestError, NotFoundError } from '../api-errors';
import { invalidType, legacyIntegerAboveMax, legacyIntegerBelowMin, invalidValue, missingParameter, unknownParameter } from '../request-errors';
import { RequestFields } from '../request-fields';
import { BATCH_MAX_FILE_BYTES } from './batches';
import { parseCursorQuery, toCursorList, type CursorList } from './cursor-list';

/** OpenAI's Files resource: `/v1/files`, its `file` object, list page and delete answer. */

/** Purposes a caller may upload with, as OpenAI accepts them. */
export const UPLOAD_FILE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;
export type UploadFilePurpose = (typeof UPLOAD_FILE_PURPOSES)[number];

/** Every purpose a stored file can have: uploads plus the one only this service writes (batch results). */
export const FILE_PURPOSES = [...UPLOAD_FILE_PURPOSES, 'batch_output'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** OpenAI's cap on any one file (the Batch API's on its input files is BATCH_MAX_FILE_BYTES). */
export const FILE_MAX_BYTES = 512 * 1024 * 1024;

/** Bounds of `expires_after[seconds]` (one hour to 30 days); batch files default to the upper one. */
export const FILE_EXPIRY_MIN_SECONDS = 3600;
export const FILE_EXPIRY_MAX_SECONDS = 2_592_000;
export const BATCH_FILE_DEFAULT_EXPIRY_SECONDS = FILE_EXPIRY_MAX_SECONDS;

export const FILE_LIST_MAX_LIMIT = 10_000;

export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds; null for a file that is kept until deleted. */
  expires_at: number | null;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  status_details: null;
}

export type FileList = CursorList<FileObject>;

export interface FileDeleted {
  id: string;
  object: 'file';
  deleted: true;
}

/** What the renderer reads from a stored file (the files package's FileRecord has these and more). */
export interface FileObjectSource {
  id: string;
  bytes: number;
  createdAt: number;
  expiresAt: number | null;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
}

export function toFileObject(file: FileObjectSource): FileObject {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    filename: file.filename,
    purpose: file.purpose,
    status: file.status,
    status_details: null,
  };
}

export function toFileList(files: readonly FileObjectSource[], hasMore: boolean): FileList {
  return toCursorList(files.map(toFileObject), hasMore);
}

export function toFileDeleted(id: string): FileDeleted {
  return { id, object: 'file', deleted: true };
}

/** OpenAI's 404 for a file id it does not know (or that belongs to someone else). */
export function fileNotFound(id: string): NotFoundError {
  return new NotFoundError(`No such File object: ${id}`, { param: 'id' });
}

/** OpenAI's answer to a `batch` upload whose name does not end in `.jsonl`, word for word (param and code null). */
export function batchFileFormatInvalid(): InvalidRequestError {
  return new InvalidRequestError('Invalid file format for Batch API. Must be .jsonl');
}

/** OpenAI's answer to an upload over the purpose's size cap, word for word. */
export function fileTooLarge(): InvalidRequestError {
  return new InvalidRequestError('File is too large.');
}

/** OpenAI's wording for a purpose outside the accepted list. */
export function invalidFilePurpose(value: unknown): InvalidRequestError {
  if (typeof value !== 'string') return invalidType('purpose', 'a string', value);
  return new InvalidRequestError(`'${value}' is not one of [${UPLOAD_FILE_PURPOSES.map((p) => `'${p}'`).join(', ')}] - 'purpose'`, {
    param: 'purpose',
    code: 'invalid_value',
  });
}

export function parseUploadPurpose(value: unknown): UploadFilePurpose {
  if (typeof value !== 'string' || !(UPLOAD_FILE_PURPOSES as readonly string[]).includes(value)) throw invalidFilePurpose(value);
  return value as UploadFilePurpose;
}

/** The byte cap an upload of `purpose` is held to. */
export function fileMaxBytes(purpose: FilePurpose): number {
  return purpose === 'batch' ? BATCH_MAX_FILE_BYTES : FILE_MAX_BYTES;
}

/** Batch inputs must be JSONL, which OpenAI judges by the file's name. */
export function assertFilenameFitsPurpose(filename: string, purpose: FilePurpose): void {
  if (purpose === 'batch' && !filename.toLowerCase().endsWith('.jsonl')) throw batchFileFormatInvalid();
}

export interface FileCreateParams {
  purpose: UploadFilePurpose;
  /** Seconds after creation the file expires; absent: the purpose's default. */
  expiresAfterSeconds?: number;
}

const CREATE_FIELDS = new Set(['file', 'purpose', 'expires_after']);
const EXPIRES_AFTER_FIELDS = new Set(['anchor', 'seconds']);

/**
 * The text fields of a `POST /v1/files` form. `expires_after[anchor]` and `expires_after[seconds]`
 * (how the openai client sends the object) arrive nested as `expires_after: { anchor, seconds }`.
 */
export function parseFileCreateFields(body: Record<string, unknown>): FileCreateParams {
  const fields = new RequestFields({ body, source: 'multipart' });
  fields.rejectUnknown(CREATE_FIELDS);
  fields.rejectTextInFileFields(['file']);
  if (!fields.has('purpose')) throw missingParameter('purpose');
  const purpose = parseUploadPurpose(fields.raw('purpose'));
  const expiresAfter = fields.raw('expires_after');
  if (expiresAfter === undefined) return { purpose };
  if (typeof expiresAfter !== 'object' || expiresAfter === null || Array.isArray(expiresAfter)) throw invalidType('expires_after', 'an object', expiresAfter);
  const nested = new RequestFields({ body: expiresAfter as Record<string, unknown>, source: 'multipart' });
  const unknown = Object.keys(expiresAfter).find((name) => !EXPIRES_AFTER_FIELDS.has(name));
  if (unknown !== undefined) throw unknownParameter(`expires_after.${unknown}`);
  if (!nested.has('anchor')) throw missingParameter('expires_after.anchor');
  const anchor = nested.raw('anchor');
  if (anchor !== 'created_at') {
    if (typeof anchor !== 'string') throw invalidType('expires_after.anchor', 'a string', anchor);
    throw invalidValue('expires_after.anchor', anchor, ['created_at']);
  }
  if (!nested.has('seconds')) throw missingParameter('expires_after.seconds');
  const seconds = integerField(nested, 'seconds', 'expires_after.seconds', FILE_EXPIRY_MIN_SECONDS, FILE_EXPIRY_MAX_SECONDS);
  return { purpose, expiresAfterSeconds: seconds };
}

export interface FileListParams {
  purpose?: string;
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

/** The query of `GET /v1/files`; every value arrives as text. Unknown query parameters are ignored, as OpenAI does. */
export function parseFileListQuery(query: Record<string, unknown>): FileListParams {
  const cursor = parseCursorQuery(query, { maxLimit: FILE_LIST_MAX_LIMIT, defaultLimit: FILE_LIST_MAX_LIMIT });
  const fields = new RequestFields({ body: query, source: 'multipart' });
  const order = fields.oneOf('order', ['asc', 'desc'] as const) ?? 'desc';
  const purpose = fields.string('purpose');
  return { ...cursor, order, ...(purpose ? { purpose } : {}) };
}

/** RequestFields.integer, reporting the parameter under its full (dotted) name. */
function integerField(fields: RequestFields, name: string, param: string, min: number, max: number): number {
  const raw = fields.raw(name);
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(param, 'an integer', value);
  if (value < min) throw legacyIntegerBelowMin(param, value, min);
  if (value > max) throw legacyIntegerAboveMax(param, value, max);
  return value;
}
