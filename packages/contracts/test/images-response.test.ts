import {
  defaultModelRegistry,
  imagesResponseEcho,
  isGptProfile,
  toModelList,
  validateGenerationRequest,
  type ModelProfile,
} from '../src';

const registry = defaultModelRegistry();

describe('images response shapes', () => {
  it.each<[ModelProfile, boolean]>([
    ['dall-e-2', false],
    ['dall-e-3', false],
    ['gpt-image', true],
    ['gpt-image-2', true],
  ])('isGptProfile(%s) is %s', (profile, expected) => {
    expect(isGptProfile(profile)).toBe(expected);
  });

  it('echoes the resolved background, format, quality and size for GPT models', () => {
    const { params } = validateGenerationRequest(
      { body: { prompt: 'p', model: 'gpt-image-1', size: '1536x1024', output_format: 'webp', background: 'transparent' }, source: 'json' },
      registry,
    );
    expect(imagesResponseEcho(params)).toEqual({
      background: 'transparent',
      output_format: 'webp',
      quality: 'high',
      size: '1536x1024',
    });
  });

  it('echoes nothing for dall-e models', () => {
    const { params } = validateGenerationRequest({ body: { prompt: 'p', model: 'dall-e-3' }, source: 'json' }, registry);
    expect(imagesResponseEcho(params)).toEqual({});
  });

  it('lists every registry model in the /v1/models shape', () => {
    const list = toModelList(registry);
    expect(list.object).toBe('list');
    expect(list.data.map((model) => model.id)).toEqual(registry.entries.map((entry) => entry.id));
    expect(list.data.find((model) => model.id === 'dall-e-3')).toEqual({
      id: 'dall-e-3',
      object: 'model',
      created: registry.get('dall-e-3')?.created,
      owned_by: 'imageforge',
    });
  });
});
