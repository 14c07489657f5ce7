import { apiErrorOfReason, ApiErrorJobFailure, endedJobErrorCode, PermanentJobError } from '../src';

describe(ApiErrorJobFailure.name, () => {
  const apiError = { status: 400, type: 'invalid_request_error', message: 'You must provide n=1 for this model.', param: 'n', code: 'invalid_value' };

  it('is a permanent failure whose reason gives its error back', () => {
    const failure = new ApiErrorJobFailure(apiError);
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(apiErrorOfReason(failure.message)).toEqual(apiError);
    expect(endedJobErrorCode({ status: 'failed', reason: failure.message })).toBe('invalid_value');
  });

  it('reads nothing from other reasons, and job_failed stays the code of an error without one', () => {
    expect(apiErrorOfReason('engine crashed')).toBeUndefined();
    expect(apiErrorOfReason('api_error:{not json')).toBeUndefined();
    expect(apiErrorOfReason('api_error:{"message":"no status"}')).toBeUndefined();
    const withoutCode = new ApiErrorJobFailure({ ...apiError, code: null });
    expect(endedJobErrorCode({ status: 'failed', reason: withoutCode.message })).toBe('job_failed');
  });
});
