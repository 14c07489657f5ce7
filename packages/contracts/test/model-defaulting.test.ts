import {
  defaultModelRegistry,
  ModelRegistry,
  ModelRegistryEntrySchema,
  validateEditRequest,
  validateGenerationRequest,
  validateVariationRequest,
} from '../src';
import { expectApiError } from './expect-api-error';

const registry = defaultModelRegistry();
const generate = (body: Record<string, unknown>, models = registry) =>
  validateGenerationRequest({ body: { prompt: 'a lighthouse', ...body }, source: 'json' }, models);
const editMultipart = (body: Record<string, string>, imageCount: number) =>
  validateEditRequest({ body: { prompt: 'add a boat', ...body }, source: 'multipart', imageCount }, registry);

describe('model defaulting', () => {
  it('uses dall-e-2 when neither model nor a GPT-only parameter is sent', () => {
    expect(generate({}).entry.id).toBe('dall-e-2');
  });

  it.each<[Record<string, unknown>]>([
    [{ output_format: 'png' }],
    [{ output_compression: 100 }],
    [{ background: 'auto' }],
    [{ moderation: 'low' }],
    [{ partial_images: 0 }],
    [{ quality: 'low' }],
    [{ quality: 'medium' }],
    [{ quality: 'high' }],
    [{ quality: 'auto' }],
  ])('switches generations to gpt-image-1 when %j is sent without a model', (body) => {
    expect(generate(body).entry.id).toBe('gpt-image-1');
  });

  it.each<[Record<string, unknown>]>([[{ stream: false }], [{ quality: 'standard' }], [{ output_format: null }], [{ size: '512x512' }]])(
    'stays on dall-e-2 for %j',
    (body) => {
      expect(generate(body).entry.id).toBe('dall-e-2');
    },
  );

  it('checks quality hd without a model against dall-e-2, whose quality is only standard', () => {
    expectApiError(() => generate({ quality: 'hd' }), {
      status: 400,
      param: 'quality',
      code: 'unknown_parameter',
      message: "Unknown parameter: 'quality'.",
    });
  });

  it('serves stream true without a model from gpt-image-1', () => {
    expect(generate({ stream: true })).toMatchObject({ entry: { id: 'gpt-image-1' }, params: { stream: true, partialImages: 0 } });
  });

  it('never overrides an explicit model, so GPT-only parameters on dall-e-3 are rejected', () => {
    expectApiError(() => generate({ model: 'dall-e-3', background: 'opaque' }), {
      status: 400,
      param: 'background',
      code: 'unknown_parameter',
    });
  });

  it.each([
    [1, {}, 'dall-e-2'],
    [2, {}, 'gpt-image-1'],
    [1, { input_fidelity: 'high' }, 'gpt-image-1'],
    [1, { stream: 'false' }, 'dall-e-2'],
  ])('defaults an edit with %d image(s) and %j to %s', (imageCount, body, model) => {
    expect(editMultipart(body, imageCount).entry.id).toBe(model);
  });

  it('always defaults variations to dall-e-2', () => {
    const { entry } = validateVariationRequest({ body: {}, source: 'multipart', imageCount: 1 }, registry);
    expect(entry.id).toBe('dall-e-2');
  });

  it('answers model_not_found for the default GPT model when the registry lacks it', () => {
    const dallEOnly = new ModelRegistry(registry.entries.filter((entry) => entry.profile === 'dall-e-2'));
    expectApiError(() => generate({ output_format: 'webp' }, dallEOnly), {
      status: 404,
      param: null,
      code: 'model_not_found',
      message: 'The model `gpt-image-1` does not exist or you do not have access to it.',
    });
  });

  it('validates a custom registry model by its profile', () => {
    const custom = new ModelRegistry([ModelRegistryEntrySchema.parse({ id: 'house-xl', profile: 'gpt-image-2' })]);
    const { entry, params } = generate({ model: 'house-xl', size: '1920x1088' }, custom);
    expect(entry.id).toBe('house-xl');
    expect(params).toMatchObject({ model: 'house-xl', profile: 'gpt-image-2', width: 1920, height: 1088 });
  });
});
