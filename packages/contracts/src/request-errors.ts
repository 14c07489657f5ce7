import { InvalidRequestError, NotFoundError } from './api-errors';

/**
 * Builders for the 400s a request validator throws. Wording and codes follow what
 * OpenAI answers, so clients that match on `code` or show `message` behave the same.
 */

/** OpenAI's list style: 'a', 'a' and 'b', 'a', 'b', and 'c'. */
export function formatList(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  if (quoted.length <= 2) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
}

/** How OpenAI names a JSON value's type in `invalid_type` messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function invalidType(param: string, expected: string, value: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid type for '${param}': expected ${expected}, but got ${describeType(value)} instead.`,
    { param, code: 'invalid_type' },
  );
}

export function invalidValue(param: string, value: string, supported: readonly string[]): InvalidRequestError {
  return new InvalidRequestError(`Invalid value: '${value}'. Supported values are: ${formatList(supported)}.`, {
    param,
    code: 'invalid_value',
  });
}

export function missingParameter(param: string): InvalidRequestError {
  return new InvalidRequestError(`Missing required parameter: '${param}'.`, {
    param,
    code: 'missing_required_parameter',
  });
}

/**
 * Also OpenAI's answer for a known parameter the chosen model's family does not take
 * (`style` on dall-e-2 or gpt-image-1, `background` on dall-e-3): it names no model.
 */
export function unknownParameter(param: string): InvalidRequestError {
  return new InvalidRequestError(`Unknown parameter: '${param}'.`, { param, code: 'unknown_parameter' });
}

// OpenAI's answer, as quoted in thisisartium/continuous-alignment-testing#25 ("Invalid 'n': integer above maximum value. Expected a value <= 128, but got 130 instead.").
export function integerBelowMin(param: string, value: number, min: number): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
    { param, code: 'integer_below_min_value' },
  );
}

// OpenAI's answer, as quoted in thisisartium/continuous-alignment-testing#25.
export function integerAboveMax(param: string, value: number, max: number): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
    { param, code: 'integer_above_max_value' },
  );
}

/**
 * The Files endpoint still answers in its older validator's style (as its
 * "'answers' is not one of [...] - 'purpose'" does), so its bounds keep that wording.
 */
export function legacyIntegerBelowMin(param: string, value: number, min: number): InvalidRequestError {
  return new InvalidRequestError(`${value} is less than the minimum of ${min} - '${param}'`, {
    param,
    code: 'integer_below_min_value',
  });
}

export function legacyIntegerAboveMax(param: string, value: number, max: number): InvalidRequestError {
  return new InvalidRequestError(`${value} is greater than the maximum of ${max} - '${param}'`, {
    param,
    code: 'integer_above_max_value',
  });
}

export function stringTooLong(param: string, max: number, length: number): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`,
    { param, code: 'string_above_max_length' },
  );
}

export function emptyString(param: string): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid '${param}': empty string. Expected a string with minimum length 1, but got an empty string instead.`,
    { param, code: 'empty_string' },
  );
}

export function arrayTooLong(param: string, max: number, length: number): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${length} instead.`,
    { param, code: 'array_above_max_length' },
  );
}

export function modelNotFound(model: string): NotFoundError {
  return new NotFoundError(`The model \`${model}\` does not exist or you do not have access to it.`, {
    code: 'model_not_found',
  });
}
