import { InvalidRequestError } from './api-errors';
import {
  emptyString,
  integerAboveMax,
  integerBelowMin,
  invalidType,
  invalidValue,
  stringTooLong,
  unknownParameter,
} from './request-errors';

/**
 * Multipart forms carry every field as text, so numbers and booleans arrive as strings;
 * JSON bodies must use real JSON types, as OpenAI rejects `"n": "2"` in JSON.
 */
export type RequestSource = 'json' | 'multipart';

export interface RequestInput {
  /** Parsed JSON body, or the text fields of a multipart form. */
  body: Record<string, unknown>;
  source: RequestSource;
}

const DECIMAL_INTEGER = /^-?\d+$/;

/** Typed, source-aware access to a request body's fields; every failure is OpenAI's 400. */
export class RequestFields {
  private readonly body: Record<string, unknown>;

  constructor(input: RequestInput) {
    const { body } = input;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_type' });
    }
    this.body = body;
    this.source = input.source;
  }

  readonly source: RequestSource;

  /** Rejects the first field outside `allowed`, as OpenAI rejects unknown body fields. */
  rejectUnknown(allowed: ReadonlySet<string>): void {
    const unknown = Object.keys(this.body).find((name) => !allowed.has(name));
    if (unknown !== undefined) throw unknownParameter(unknown);
  }

  /** Multipart only: a file field sent as text (e.g. `-F image=cat.png` without `@`). */
  rejectTextInFileFields(names: readonly string[]): void {
    if (this.source !== 'multipart') return;
    const name = names.find((candidate) => this.has(candidate));
    if (name !== undefined) throw invalidType(name, 'a file', this.raw(name));
  }

  /** Present with a non-null value: `null` means "use the default" everywhere in this API. */
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** The field's value, with `null` folded into `undefined`. */
  raw(name: string): unknown {
    const value = Object.hasOwn(this.body, name) ? this.body[name] : undefined;
    return value === null ? undefined : value;
  }

  string(name: string, maxLength?: number): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalidType(name, 'a string', value);
    if (maxLength !== undefined && value.length > maxLength) throw stringTooLong(name, maxLength, value.length);
    return value;
  }

  /** A required, non-empty string (the prompt). */
  requiredString(name: string, maxLength: number, missing: () => InvalidRequestError): string {
    const value = this.string(name, maxLength);
    if (value === undefined) throw missing();
    if (value.length === 0) throw emptyString(name);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw invalidValue(name, value, allowed);
    return value as T;
  }

  integer(name: string, bounds: { min: number; max: number }): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const coerce = this.source === 'multipart' && typeof raw === 'string' && DECIMAL_INTEGER.test(raw);
    const value = coerce ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(name, 'an integer', value);
    if (value < bounds.min) throw integerBelowMin(name, value, bounds.min);
    if (value > bounds.max) throw integerAboveMax(name, value, bounds.max);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    if (typeof raw === 'boolean') return raw;
    if (this.source === 'multipart' && (raw === 'true' || raw === 'false')) return raw === 'true';
    throw invalidType(name, 'a boolean', raw);
  }
}
