import { defaultModelRegistry, RequestFields, validateEditRequest, validateGenerationRequest, type RequestSource } from '../src';
import { expectApiError } from './expect-api-error';

const registry = defaultModelRegistry();
const edit = (body: Record<string, unknown>, source: RequestSource) =>
  validateEditRequest(
    source === 'json'
      ? { body: { prompt: 'p', images: [{ image_url: 'data:image/png;base64,iVBORw0KGgo=' }], ...body }, source }
      : { body: { prompt: 'p', ...body }, source, imageCount: 1 },
    registry,
  );

describe(RequestFields.name, () => {
  it.each<[Record<string, string>, Record<string, unknown>]>([
    [{ n: '3' }, { n: 3 }],
    [{ seed: '42' }, { seed: 42 }],
    [{ model: 'gpt-image-1', output_format: 'jpeg', output_compression: '80' }, { outputFormat: 'jpeg', outputCompression: 80 }],
    [{ model: 'gpt-image-1', stream: 'false' }, { model: 'gpt-image-1' }],
    [{ model: 'gpt-image-1', stream: 'true', partial_images: '1' }, { stream: true, partialImages: 1 }],
    [{ size: '512x512', response_format: 'b64_json' }, { width: 512, responseFormat: 'b64_json' }],
  ])('coerces multipart text fields %j to %j', (body, expected) => {
    expect(edit(body, 'multipart').params).toMatchObject(expected);
  });

  it.each<[RequestSource, Record<string, unknown>, string, string, string]>([
    ['multipart', { n: 'abc' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
    ['multipart', { n: '2.5' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
    ['multipart', { n: '' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
    ['multipart', { n: '11' }, 'n', 'integer_above_max_value', "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead."],
    ['multipart', { n: ['1', '2'] }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got an array instead."],
    ['multipart', { model: 'gpt-image-1', stream: 'yes' }, 'stream', 'invalid_type', "Invalid type for 'stream': expected a boolean, but got a string instead."],
    ['multipart', { image: 'cat.png' }, 'image', 'invalid_type', "Invalid type for 'image': expected a file, but got a string instead."],
    ['multipart', { 'image[]': 'cat.png' }, 'image[]', 'invalid_type', "Invalid type for 'image[]': expected a file, but got a string instead."],
    ['multipart', { mask: 'mask.png' }, 'mask', 'invalid_type', "Invalid type for 'mask': expected a file, but got a string instead."],
    ['multipart', { images: '[]' }, 'images', 'unknown_parameter', "Unknown parameter: 'images'."],
    ['json', { n: '3' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
    ['json', { seed: '42' }, 'seed', 'invalid_type', "Invalid type for 'seed': expected an integer, but got a string instead."],
    ['json', { model: 'gpt-image-1', stream: 'false' }, 'stream', 'invalid_type', "Invalid type for 'stream': expected a boolean, but got a string instead."],
    ['json', { model: 'gpt-image-1', output_format: 'jpeg', output_compression: '80' }, 'output_compression', 'invalid_type', "Invalid type for 'output_compression': expected an integer, but got a string instead."],
    ['json', { image: 'data:image/png;base64,AAAA' }, 'image', 'unknown_parameter', "Unknown parameter: 'image'."],
    ['json', { style: 'vivid' }, 'style', 'unknown_parameter', "Unknown parameter: 'style'."],
    ['multipart', { moderation: 'low' }, 'moderation', 'unknown_parameter', "Unknown parameter: 'moderation'."],
  ])('in a %s edit rejects %j on %s with %s', (source, body, param, code, message) => {
    expectApiError(() => edit(body, source), { status: 400, param, code, message });
  });

  it('names the first unknown field of a generation body', () => {
    expectApiError(
      () => validateGenerationRequest({ body: { prompt: 'p', temperature: 0.2, top_p: 1 }, source: 'json' }, registry),
      { status: 400, param: 'temperature', code: 'unknown_parameter', message: "Unknown parameter: 'temperature'." },
    );
  });

  it('reads JSON booleans and integers as they are', () => {
    const fields = new RequestFields({ body: { stream: false, n: 4, user: null }, source: 'json' });
    expect(fields.boolean('stream')).toBe(false);
    expect(fields.integer('n', { min: 1, max: 10 })).toBe(4);
    expect(fields.has('user')).toBe(false);
    expect(fields.has('stream')).toBe(true);
  });
});
