import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BATCH_MAX_LINES, type BatchEndpoint, type BatchError } from '@imageforge/contracts';
import { jsonlLines } from './jsonl-lines';

/** Longest input line read; a longer one is an unparseable line, never held in memory. */
export const MAX_INPUT_LINE_BYTES = 64 * 1024 * 1024;
/** File-level errors kept on the batch; the scan still reads to the end to count lines. */
const MAX_REPORTED_ERRORS = 1_000;

export interface InputFileScan {
  /** Request lines (blank lines not counted). */
  lines: number;
  /** `body.model` of the first request, as written (null: the endpoint's default). */
  model: string | null;
  errors: BatchError[];
}

/** A line that passed the file-level checks: what expansion needs of it. */
export interface ParsedInputLine {
  line: number;
  customId: string;
  body: Record<string, unknown>;
}

const fileError = (code: string, message: string, line: number | null, param: string | null = null): BatchError => ({ code, message, param, line });

/**
 * The checks OpenAI makes of a whole input file before any request runs: every line
 * JSON, a unique `custom_id`, POST to the batch's endpoint, one model, at most 50,000
 * requests. Reads the file as a stream; what it keeps per line is a 20-byte digest of
 * the custom_id, so a 200 MB file costs a few MB.
 */
export async function scanInputFile(source: Readable, endpoint: BatchEndpoint): Promise<InputFileScan> {
  const seen = new Set<string>();
  const errors: BatchError[] = [];
  const report = (error: BatchError) => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push(error);
  };
  let lines = 0;
  let model: string | null | undefined;
  for await (const entry of jsonlLines(source, MAX_INPUT_LINE_BYTES)) {
    lines += 1;
    const parsed = parseLine(entry, endpoint);
    if ('error' in parsed) {
      report(parsed.error);
      continue;
    }
    const digest = createHash('sha1').update(parsed.customId).digest('base64');
    if (seen.has(digest)) {
      report(
        fileError(
          'duplicate_custom_id',
          'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
          parsed.line,
          'custom_id',
        ),
      );
      continue;
    }
    seen.add(digest);
    const lineModel = typeof parsed.body.model === 'string' ? parsed.body.model : null;
    if (model === undefined) model = lineModel;
    else if (lineModel !== model) {
      report(
        fileError(
          'model_mismatch',
          `The model '${lineModel ?? '(default)'}' of this request differs from the batch's model '${model ?? '(default)'}'. Every request in a batch must use the same model.`,
          parsed.line,
          'body.model',
        ),
      );
    }
  }
  if (lines === 0) errors.push(fileError('empty_file', 'The input file is empty. Provide a file with at least one request.', null));
  if (lines > BATCH_MAX_LINES) {
    errors.unshift(
      fileError('too_many_tasks', `The input file has ${lines} requests; a batch takes at most ${BATCH_MAX_LINES}. Split it into several batches.`, null),
    );
  }
  return { lines, model: model ?? null, errors };
}

/** One line's envelope: JSON object, `custom_id`, `method`, `url`, `body`. */
export function parseLine(entry: { line: number; text: string } | { line: number; tooLong: true }, endpoint: BatchEndpoint): ParsedInputLine | { error: BatchError } {
  const { line } = entry;
  const invalidJson = { error: fileError('invalid_json_line', 'This line is not parseable as valid JSON.', line) };
  if ('tooLong' in entry) return invalidJson;
  let value: unknown;
  try {
    value = JSON.parse(entry.text);
  } catch {
    return invalidJson;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: fileError('invalid_request', 'Each line must be a JSON object with custom_id, method, url and body.', line) };
  }
  const request = value as Record<string, unknown>;
  for (const param of ['custom_id', 'method', 'url', 'body'] as const) {
    if (request[param] === undefined || request[param] === null) {
      return { error: fileError('missing_required_parameter', `Missing required parameter: '${param}'.`, line, param) };
    }
  }
  if (typeof request.custom_id !== 'string' || request.custom_id.length === 0) {
    return { error: fileError('invalid_type', "Invalid 'custom_id': expected a non-empty string.", line, 'custom_id') };
  }
  if (request.method !== 'POST') {
    return { error: fileError('invalid_request', `Invalid 'method': only POST is supported, got ${JSON.stringify(request.method)}.`, line, 'method') };
  }
  if (request.url !== endpoint) {
    return {
      error: fileError('url_mismatch', `The URL ${JSON.stringify(request.url)} of this request does not match the batch's endpoint '${endpoint}'.`, line, 'url'),
    };
  }
  if (typeof request.body !== 'object' || Array.isArray(request.body)) {
    return { error: fileError('invalid_type', "Invalid 'body': expected a JSON object.", line, 'body') };
  }
  return { line, customId: request.custom_id, body: request.body as Record<string, unknown> };
}
