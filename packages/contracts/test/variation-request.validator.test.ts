import { defaultModelRegistry, validateVariationRequest } from '../src';
import { expectApiError } from './expect-api-error';

const registry = defaultModelRegistry();
const vary = (body: Record<string, unknown>, imageCount = 1) =>
  validateVariationRequest({ body, source: 'multipart', imageCount }, registry);

describe(validateVariationRequest.name, () => {
  it('fills dall-e-2 defaults for an image with no fields', () => {
    const { entry, params } = vary({});
    expect(entry.id).toBe('dall-e-2');
    expect(params).toMatchObject({ n: 1, width: 1024, height: 1024, quality: 'standard', responseFormat: 'url' });
  });

  it('accepts size, n, response_format, user and seed as multipart text', () => {
    const { params } = vary({ model: 'dall-e-2', size: '512x512', n: '4', response_format: 'b64_json', user: 'u', seed: '9' });
    expect(params).toMatchObject({ width: 512, height: 512, n: 4, responseFormat: 'b64_json', user: 'u', seed: 9 });
  });

  it.each(['dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'])(
    'rejects %s with invalid_value on model, as only dall-e-2 makes variations',
    (model) => {
      expectApiError(() => vary({ model }), {
        status: 400,
        param: 'model',
        code: 'invalid_value',
        message: `Invalid value: '${model}'. Supported values are: 'dall-e-2'.`,
      });
    },
  );

  it.each<[Record<string, unknown>, string, string]>([
    [{ prompt: 'a cat' }, 'prompt', 'unknown_parameter'],
    [{ quality: 'standard' }, 'quality', 'unknown_parameter'],
    [{ output_format: 'png' }, 'output_format', 'unknown_parameter'],
    [{ size: '1792x1024' }, 'size', 'invalid_value'],
    [{ n: '0' }, 'n', 'integer_below_min_value'],
    [{ image: 'otter.png' }, 'image', 'invalid_type'],
  ])('rejects %j on %s with %s', (body, param, code) => {
    expectApiError(() => vary(body), { status: 400, param, code });
  });

  it('requires an image', () => {
    expectApiError(() => vary({}, 0), { status: 400, param: 'image', code: 'missing_required_parameter' });
  });

  it('answers 404 for an unknown model', () => {
    expectApiError(() => vary({ model: 'dall-e-9' }), { status: 404, param: null, code: 'model_not_found' });
  });
});
