import type { BatchRecord } from './batch-record';

/**
 * Hash fields <-> record. Numbers and nulls as strings ('' is null), objects as JSON;
 * field names are Redis's, the same the tally script increments.
 */
const FIELDS = {
  id: 'string',
  owner: 'string',
  endpoint: 'string',
  inputFileId: 'string',
  completionWindow: 'string',
  status: 'string',
  model: 'nullable',
  metadata: 'json',
  errors: 'json',
  outputFileId: 'nullable',
  errorFileId: 'nullable',
  outputExpiresAfterSeconds: 'nullableNumber',
  createdAt: 'number',
  inProgressAt: 'nullableNumber',
  expiresAt: 'number',
  finalizingAt: 'nullableNumber',
  completedAt: 'nullableNumber',
  failedAt: 'nullableNumber',
  expiredAt: 'nullableNumber',
  cancellingAt: 'nullableNumber',
  cancelledAt: 'nullableNumber',
  total: 'number',
  completed: 'number',
  failed: 'number',
  cancelled: 'number',
  inputTokens: 'number',
  outputTokens: 'number',
  chunkSize: 'number',
  linesExpanded: 'number',
  expandDone: 'boolean',
  stop: 'nullable',
} as const satisfies Record<keyof BatchRecord, string>;

type Field = keyof typeof FIELDS;

const redisName = (field: Field): string => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

export function encodeBatch(record: Partial<BatchRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(record) as [Field, unknown][]) {
    if (value === undefined || !(field in FIELDS)) continue;
    switch (FIELDS[field]) {
      case 'json':
        out[redisName(field)] = value === null ? '' : JSON.stringify(value);
        break;
      case 'boolean':
        out[redisName(field)] = value ? '1' : '0';
        break;
      default:
        out[redisName(field)] = value === null ? '' : String(value);
    }
  }
  return out;
}

export function decodeBatch(hash: Record<string, string>): BatchRecord {
  const record: Record<string, unknown> = {};
  for (const field of Object.keys(FIELDS) as Field[]) {
    const raw = hash[redisName(field)] ?? '';
    switch (FIELDS[field]) {
      case 'string':
        record[field] = raw;
        break;
      case 'nullable':
        record[field] = raw === '' ? null : raw;
        break;
      case 'number':
        record[field] = raw === '' ? 0 : Number(raw);
        break;
      case 'nullableNumber':
        record[field] = raw === '' ? null : Number(raw);
        break;
      case 'json':
        record[field] = raw === '' ? null : JSON.parse(raw);
        break;
      case 'boolean':
        record[field] = raw === '1';
        break;
    }
  }
  return record as unknown as BatchRecord;
}
