import { ApiError } from '../src';

export interface ExpectedApiError {
  status: number;
  param: string | null;
  code: string | null;
  /** Exact message, or a pattern it must match. */
  message?: string | RegExp;
}

/** Runs `action` and asserts it threw an ApiError with OpenAI's status, param, code and message. */
export function expectApiError(action: () => unknown, expected: ExpectedApiError): ApiError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ApiError);
  const error = thrown as ApiError;
  expect({ status: error.status, param: error.param, code: error.code }).toEqual({
    status: expected.status,
    param: expected.param,
    code: expected.code,
  });
  if (typeof expected.message === 'string') expect(error.message).toBe(expected.message);
  if (expected.message instanceof RegExp) expect(error.message).toMatch(expected.message);
  expect(error.toBody().error).toMatchObject({ type: 'invalid_request_error', param: expected.param, code: expected.code });
  return error;
}
