import {
  defaultModelRegistry,
  isGptProfile,
  toImagesResponse,
  toModelList,
  validateGenerationRequest,
  type ImagesUsage,
  type ModelProfile,
} from '../src';

const registry = defaultModelRegistry();

const usage: ImagesUsage = {
  input_tokens: 12,
  output_tokens: 272,
  total_tokens: 284,
  input_tokens_details: { text_tokens: 12, image_tokens: 0 },
  output_tokens_details: { image_tokens: 272, text_tokens: 0 },
};
const FINISHED_AT = 1_760_000_123_456;

function paramsFor(body: Record<string, unknown>) {
  return validateGenerationRequest({ body: { prompt: 'a teapot', ...body }, source: 'json' }, registry).params;
}

describe(toImagesResponse.name, () => {
  it.each<[ModelProfile, boolean]>([
    ['dall-e-2', false],
    ['dall-e-3', false],
    ['gpt-image', true],
    ['gpt-image-2', true],
  ])('isGptProfile(%s) is %s', (profile, expected) => {
    expect(isGptProfile(profile)).toBe(expected);
  });

  it('echoes the resolved background, format, quality and size, and the usage, for GPT models', () => {
    const params = paramsFor({ model: 'gpt-image-1', size: '1536x1024', output_format: 'webp', background: 'transparent' });
    expect(toImagesResponse({ params, prompt: 'a teapot', facts: { finishedAt: FINISHED_AT, usage }, data: [{ b64_json: 'AAAA' }] })).toEqual({
      created: Math.floor(FINISHED_AT / 1000),
      data: [{ b64_json: 'AAAA' }],
      background: 'transparent',
      output_format: 'webp',
      quality: 'high',
      size: '1536x1024',
      usage,
    });
  });

  it('echoes nothing and reports no usage for dall-e models, whatever the worker counted', () => {
    const params = paramsFor({ model: 'dall-e-2' });
    expect(toImagesResponse({ params, prompt: 'a teapot', facts: { finishedAt: FINISHED_AT, usage }, data: [{ url: 'https://x/0.png' }] })).toEqual({
      created: Math.floor(FINISHED_AT / 1000),
      data: [{ url: 'https://x/0.png' }],
    });
  });

  it('gives every dall-e-3 image a revised prompt: the engine\'s when it made one, else the prompt as sent', () => {
    const params = paramsFor({ model: 'dall-e-3' });
    const asSent = toImagesResponse({ params, prompt: 'a teapot', facts: { finishedAt: FINISHED_AT }, data: [{ url: 'u' }] });
    const revised = toImagesResponse({ params, prompt: 'a teapot', facts: { finishedAt: FINISHED_AT, revisedPrompt: 'a blue teapot' }, data: [{ url: 'u' }] });
    expect(asSent.data).toEqual([{ url: 'u', revised_prompt: 'a teapot' }]);
    expect(revised.data).toEqual([{ url: 'u', revised_prompt: 'a blue teapot' }]);
  });

  it('never reports a revised prompt for other models, even when an engine made one', () => {
    for (const model of ['dall-e-2', 'gpt-image-1']) {
      const response = toImagesResponse({ params: paramsFor({ model }), prompt: 'p', facts: { finishedAt: FINISHED_AT, revisedPrompt: 'x' }, data: [{ url: 'u' }, { url: 'v' }] });
      expect(response.data).toEqual([{ url: 'u' }, { url: 'v' }]);
    }
  });
});

describe(toModelList.name, () => {
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

  it('lists the dated gpt-image-2 snapshot and the ChatGPT alias OpenAI also lists', () => {
    const ids = toModelList(registry).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-image-2-2026-04-21', 'chatgpt-image-latest']));
    expect(registry.get('gpt-image-2-2026-04-21')?.profile).toBe('gpt-image-2');
    expect(registry.get('chatgpt-image-latest')?.profile).toBe('gpt-image');
  });
});
