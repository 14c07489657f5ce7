import { fileNotFound, parseFileCreateFields, parseFileListQuery, toFileDeleted, toFileList, toFileObject, type FileObjectSource } from '../src';
import { expectApiError } from './expect-api-error';

const source: FileObjectSource = { id: 'file-a', bytes: 12, createdAt: 1_800_000_000, expiresAt: null, filename: 'a.jsonl', purpose: 'batch', status: 'processed' };

describe('the Files resource', () => {
  it('renders the file object, a cursor page and the delete answer in OpenAI shapes', () => {
    expect(toFileObject(source)).toEqual({
      id: 'file-a',
      object: 'file',
      bytes: 12,
      created_at: 1_800_000_000,
      expires_at: null,
      filename: 'a.jsonl',
      purpose: 'batch',
      status: 'processed',
      status_details: null,
    });
    const second = { ...source, id: 'file-b', expiresAt: 1_800_003_600 };
    expect(toFileList([source, second], true)).toMatchObject({ object: 'list', first_id: 'file-a', last_id: 'file-b', has_more: true, data: [{ id: 'file-a' }, { id: 'file-b', expires_at: 1_800_003_600 }] });
    expect(toFileList([], false)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    expect(toFileDeleted('file-a')).toEqual({ id: 'file-a', object: 'file', deleted: true });
    expect(fileNotFound('file-x').toBody()).toEqual({ error: { message: 'No such File object: file-x', type: 'invalid_request_error', param: 'id', code: null } });
  });

  it('reads the upload fields, with expires_after nested as multer builds it from expires_after[...]', () => {
    expect(parseFileCreateFields({ purpose: 'vision' })).toEqual({ purpose: 'vision' });
    expect(parseFileCreateFields({ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '3600' } })).toEqual({ purpose: 'batch', expiresAfterSeconds: 3600 });
  });

  it.each([
    [{}, { status: 400, param: 'purpose', code: 'missing_required_parameter', message: "Missing required parameter: 'purpose'." }],
    [{ purpose: 'answers' }, { status: 400, param: 'purpose', code: 'invalid_value', message: "'answers' is not one of ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] - 'purpose'" }],
    [{ purpose: 'batch_output' }, { status: 400, param: 'purpose', code: 'invalid_value', message: /^'batch_output' is not one of/ }],
    [{ purpose: 'batch', file: 'a.jsonl' }, { status: 400, param: 'file', code: 'invalid_type' }],
    [{ purpose: 'batch', model: 'x' }, { status: 400, param: 'model', code: 'unknown_parameter' }],
    [{ purpose: 'batch', expires_after: { seconds: '3600' } }, { status: 400, param: 'expires_after.anchor', code: 'missing_required_parameter' }],
    [{ purpose: 'batch', expires_after: { anchor: 'last_active_at', seconds: '3600' } }, { status: 400, param: 'expires_after.anchor', code: 'invalid_value' }],
    [{ purpose: 'batch', expires_after: { anchor: 'created_at' } }, { status: 400, param: 'expires_after.seconds', code: 'missing_required_parameter' }],
    [{ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '3599' } }, { status: 400, param: 'expires_after.seconds', code: 'integer_below_min_value', message: "3599 is less than the minimum of 3600 - 'expires_after.seconds'" }],
    [{ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '2592001' } }, { status: 400, param: 'expires_after.seconds', code: 'integer_above_max_value' }],
    [{ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '1.5' } }, { status: 400, param: 'expires_after.seconds', code: 'invalid_type' }],
    [{ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '3600', days: '1' } }, { status: 400, param: 'expires_after.days', code: 'unknown_parameter' }],
    [{ purpose: 'batch', expires_after: '3600' }, { status: 400, param: 'expires_after', code: 'invalid_type' }],
  ])('refuses the upload fields %j', (body, expected) => {
    expectApiError(() => parseFileCreateFields(body as Record<string, unknown>), expected);
  });

  it('reads the list query with OpenAI defaults and bounds', () => {
    expect(parseFileListQuery({})).toEqual({ limit: 10_000, order: 'desc' });
    expect(parseFileListQuery({ limit: '2', order: 'asc', after: 'file-a', purpose: 'batch', unrelated: 'x' })).toEqual({ limit: 2, order: 'asc', after: 'file-a', purpose: 'batch' });
    expectApiError(() => parseFileListQuery({ limit: '0' }), { status: 400, param: 'limit', code: 'integer_below_min_value' });
    expectApiError(() => parseFileListQuery({ limit: '10001' }), { status: 400, param: 'limit', code: 'integer_above_max_value' });
    expectApiError(() => parseFileListQuery({ order: 'newest' }), { status: 400, param: 'order', code: 'invalid_value' });
  });
});
