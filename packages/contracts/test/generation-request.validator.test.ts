import { defaultModelRegistry, validateGenerationRequest, type NormalizedImageParams } from '../src';
import { expectApiError } from './expect-api-error';

const registry = defaultModelRegistry();
const generate = (body: Record<string, unknown>) =>
  validateGenerationRequest({ body: { prompt: 'a red fox', ...body }, source: 'json' }, registry);

const GPT_DEFAULTS: Partial<NormalizedImageParams> = {
  n: 1,
  width: 1024,
  height: 1024,
  quality: 'high',
  responseFormat: 'b64_json',
  outputFormat: 'png',
  background: 'opaque',
  moderation: 'auto',
};

describe(validateGenerationRequest.name, () => {
  it.each<[string, Partial<NormalizedImageParams>]>([
    ['dall-e-2', { n: 1, width: 1024, height: 1024, quality: 'standard', responseFormat: 'url', outputFormat: 'png', background: 'opaque' }],
    ['dall-e-3', { n: 1, width: 1024, height: 1024, quality: 'standard', style: 'vivid', responseFormat: 'url' }],
    ['gpt-image-1', GPT_DEFAULTS],
    ['gpt-image-1-mini', GPT_DEFAULTS],
    ['gpt-image-1.5', GPT_DEFAULTS],
    ['gpt-image-2', GPT_DEFAULTS],
    ['gpt-image-2-2026-04-21', GPT_DEFAULTS],
    ['chatgpt-image-latest', GPT_DEFAULTS],
  ])('fills %s defaults from a body with only a prompt', (model, expected) => {
    const { entry, params, prompt } = generate({ model });
    expect(entry.id).toBe(model);
    expect(prompt).toBe('a red fox');
    expect(params).toMatchObject({ model, profile: entry.profile, ...expected });
  });

  it.each([
    ['dall-e-2', 'style'],
    ['dall-e-2', 'outputCompression'],
    ['dall-e-2', 'moderation'],
    ['dall-e-3', 'outputCompression'],
    ['gpt-image-1', 'style'],
    ['gpt-image-1', 'outputCompression'],
    ['gpt-image-2', 'inputFidelity'],
  ])('leaves %s params without %s when the model has no such setting', (model, key) => {
    expect(generate({ model }).params).not.toHaveProperty(key);
  });

  it.each<[string, Record<string, unknown>, Partial<NormalizedImageParams>]>([
    ['dall-e-2', { size: '256x256' }, { width: 256, height: 256 }],
    ['dall-e-2', { size: '512x512', n: 10 }, { width: 512, height: 512, n: 10 }],
    ['dall-e-2', { quality: 'standard' }, { quality: 'standard' }],
    ['dall-e-2', { quality: 'auto' }, { quality: 'standard' }],
    ['dall-e-2', { response_format: 'b64_json', user: 'user-1', seed: 7 }, { responseFormat: 'b64_json', user: 'user-1', seed: 7 }],
    ['dall-e-3', { size: '1792x1024' }, { width: 1792, height: 1024 }],
    ['dall-e-3', { size: '1024x1792', n: 1 }, { width: 1024, height: 1792 }],
    ['dall-e-3', { quality: 'hd', style: 'natural' }, { quality: 'hd', style: 'natural' }],
    ['dall-e-3', { quality: 'auto' }, { quality: 'standard' }],
    ['gpt-image-1', { size: 'auto' }, { width: 1024, height: 1024 }],
    ['gpt-image-1', { size: '1536x1024', quality: 'low' }, { width: 1536, height: 1024, quality: 'low' }],
    ['gpt-image-1-mini', { size: '1024x1536', quality: 'medium' }, { width: 1024, height: 1536, quality: 'medium' }],
    ['gpt-image-1.5', { response_format: 'url' }, { responseFormat: 'url' }],
    ['gpt-image-1', { output_format: 'jpeg', output_compression: 50 }, { outputFormat: 'jpeg', outputCompression: 50 }],
    ['gpt-image-1', { output_format: 'webp' }, { outputFormat: 'webp', outputCompression: 100 }],
    ['gpt-image-1', { output_compression: 100 }, { outputFormat: 'png' }],
    ['gpt-image-1', { background: 'transparent' }, { background: 'transparent' }],
    ['gpt-image-1', { background: 'transparent', output_format: 'webp' }, { background: 'transparent' }],
    ['gpt-image-1', { background: 'auto' }, { background: 'opaque' }],
    ['gpt-image-1', { moderation: 'low', partial_images: 2, stream: false }, { moderation: 'low' }],
    ['gpt-image-1', { stream: true, partial_images: 2 }, { stream: true, partialImages: 2 }],
    ['gpt-image-2', { stream: true }, { stream: true, partialImages: 0 }],
    ['gpt-image-2', { size: '1536x864' }, { width: 1536, height: 864 }],
    ['gpt-image-2', { size: '3840x2160' }, { width: 3840, height: 2160 }],
    ['gpt-image-2', { size: '2160x3840' }, { width: 2160, height: 3840 }],
    ['gpt-image-2', { size: '2880x2880' }, { width: 2880, height: 2880 }],
    ['gpt-image-2', { size: '1024x640' }, { width: 1024, height: 640 }],
    ['gpt-image-2', { size: '3072x1024' }, { width: 3072, height: 1024 }],
    ['gpt-image-2', { background: 'opaque', quality: 'auto' }, { background: 'opaque', quality: 'high' }],
  ])('accepts %s with %j', (model, body, expected) => {
    expect(generate({ model, ...body }).params).toMatchObject(expected);
  });

  it('takes partial_images without stream and ignores it, as OpenAI does', () => {
    const { params } = generate({ model: 'gpt-image-1', partial_images: 3 });
    expect(params).not.toHaveProperty('stream');
    expect(params).not.toHaveProperty('partialImages');
  });

  it.each<[string, Record<string, unknown>, string, string, string | RegExp]>([
    ['dall-e-2', { size: '1792x1024' }, 'size', 'invalid_value', "Invalid value: '1792x1024'. Supported values are: '256x256', '512x512', and '1024x1024'."],
    ['dall-e-2', { size: 'auto' }, 'size', 'invalid_value', /^Invalid value: 'auto'\./],
    ['dall-e-2', { quality: 'hd' }, 'quality', 'unknown_parameter', "Unknown parameter: 'quality'."],
    ['dall-e-2', { quality: 'high' }, 'quality', 'unknown_parameter', "Unknown parameter: 'quality'."],
    ['dall-e-2', { quality: 7 }, 'quality', 'invalid_type', "Invalid type for 'quality': expected a string, but got an integer instead."],
    ['dall-e-2', { style: 'vivid' }, 'style', 'unknown_parameter', "Unknown parameter: 'style'."],
    ['dall-e-2', { output_format: 'png' }, 'output_format', 'unknown_parameter', "Unknown parameter: 'output_format'."],
    ['dall-e-2', { output_compression: 80 }, 'output_compression', 'unknown_parameter', "Unknown parameter: 'output_compression'."],
    ['dall-e-2', { background: 'opaque' }, 'background', 'unknown_parameter', "Unknown parameter: 'background'."],
    ['dall-e-2', { moderation: 'low' }, 'moderation', 'unknown_parameter', "Unknown parameter: 'moderation'."],
    ['dall-e-2', { partial_images: 1 }, 'partial_images', 'unknown_parameter', "Unknown parameter: 'partial_images'."],
    ['dall-e-2', { stream: true }, 'stream', 'unknown_parameter', "Unknown parameter: 'stream'."],
    ['dall-e-3', { n: 2 }, 'n', 'invalid_value', 'You must provide n=1 for this model.'],
    ['dall-e-3', { size: '512x512' }, 'size', 'invalid_value', "Invalid value: '512x512'. Supported values are: '1024x1024', '1024x1792', and '1792x1024'."],
    ['dall-e-3', { quality: 'low' }, 'quality', 'invalid_value', "Invalid value: 'low'. Supported values are: 'standard', 'hd', and 'auto'."],
    ['dall-e-3', { style: 'cartoon' }, 'style', 'invalid_value', "Invalid value: 'cartoon'. Supported values are: 'vivid' and 'natural'."],
    ['dall-e-3', { output_format: 'jpeg' }, 'output_format', 'unknown_parameter', "Unknown parameter: 'output_format'."],
    ['dall-e-3', { background: 'opaque' }, 'background', 'unknown_parameter', "Unknown parameter: 'background'."],
    ['dall-e-3', { moderation: 'low' }, 'moderation', 'unknown_parameter', "Unknown parameter: 'moderation'."],
    ['gpt-image-1', { quality: 'hd' }, 'quality', 'invalid_value', "Invalid value: 'hd'. Supported values are: 'low', 'medium', 'high', and 'auto'."],
    ['gpt-image-1', { quality: 'standard' }, 'quality', 'invalid_value', /^Invalid value: 'standard'\./],
    ['gpt-image-1', { size: '1792x1024' }, 'size', 'invalid_value', "Invalid value: '1792x1024'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."],
    ['gpt-image-1-mini', { size: '1536x864' }, 'size', 'invalid_value', /^Invalid value: '1536x864'\./],
    ['gpt-image-1', { style: 'vivid' }, 'style', 'unknown_parameter', "Unknown parameter: 'style'."],
    ['gpt-image-2', { style: 'natural' }, 'style', 'unknown_parameter', "Unknown parameter: 'style'."],
    ['chatgpt-image-latest', { style: 'vivid' }, 'style', 'unknown_parameter', "Unknown parameter: 'style'."],
    ['gpt-image-1', { response_format: 'png' }, 'response_format', 'invalid_value', "Invalid value: 'png'. Supported values are: 'url' and 'b64_json'."],
    ['gpt-image-1', { output_format: 'gif' }, 'output_format', 'invalid_value', "Invalid value: 'gif'. Supported values are: 'png', 'jpeg', and 'webp'."],
    ['gpt-image-1', { output_format: 'jpeg', output_compression: 101 }, 'output_compression', 'integer_above_max_value', "Invalid 'output_compression': integer above maximum value. Expected a value <= 100, but got 101 instead."],
    ['gpt-image-1', { output_format: 'jpeg', output_compression: -1 }, 'output_compression', 'integer_below_min_value', "Invalid 'output_compression': integer below minimum value. Expected a value >= 0, but got -1 instead."],
    ['gpt-image-1', { output_compression: 50 }, 'output_compression', 'invalid_value', /not supported for the 'png' output format/],
    ['gpt-image-1', { background: 'transparent', output_format: 'jpeg' }, 'background', 'invalid_value', /'png' or 'webp'/],
    ['gpt-image-1', { background: 'clear' }, 'background', 'invalid_value', "Invalid value: 'clear'. Supported values are: 'transparent', 'opaque', and 'auto'."],
    ['gpt-image-1', { moderation: 'high' }, 'moderation', 'invalid_value', "Invalid value: 'high'. Supported values are: 'low' and 'auto'."],
    ['gpt-image-1', { stream: 'true' }, 'stream', 'invalid_type', "Invalid type for 'stream': expected a boolean, but got a string instead."],
    ['gpt-image-1', { stream: true, partial_images: -1 }, 'partial_images', 'integer_below_min_value', "Invalid 'partial_images': integer below minimum value. Expected a value >= 0, but got -1 instead."],
    ['gpt-image-1', { partial_images: 4 }, 'partial_images', 'integer_above_max_value', "Invalid 'partial_images': integer above maximum value. Expected a value <= 3, but got 4 instead."],
    ['gpt-image-1', { input_fidelity: 'high' }, 'input_fidelity', 'unknown_parameter', "Unknown parameter: 'input_fidelity'."],
    ['gpt-image-2', { size: '1792x936' }, 'size', 'invalid_value', "Invalid size '1792x936'. Width and height must both be divisible by 16."],
    ['gpt-image-2', { size: '4096x1024' }, 'size', 'invalid_value', "Invalid size '4096x1024'. The longest edge must be at most 3840 pixels."],
    ['gpt-image-2', { size: '3840x1088' }, 'size', 'invalid_value', "Invalid size '3840x1088'. The aspect ratio must be between 1:3 and 3:1."],
    ['gpt-image-2', { size: '1024x3840' }, 'size', 'invalid_value', /aspect ratio must be between 1:3 and 3:1/],
    ['gpt-image-2', { size: '512x512' }, 'size', 'invalid_value', /total pixel count must be between 655360 and 8294400.*got 262144\.$/],
    ['gpt-image-2', { size: '3840x3840' }, 'size', 'invalid_value', /total pixel count.*got 14745600\.$/],
    ['gpt-image-2', { size: 'big' }, 'size', 'invalid_value', "Invalid size 'big'. Expected 'auto' or WIDTHxHEIGHT in pixels, e.g. '1536x864'."],
    ['gpt-image-2', { size: '0x1024' }, 'size', 'invalid_value', /^Invalid size '0x1024'\. Expected 'auto'/],
    ['gpt-image-2', { background: 'transparent' }, 'background', 'invalid_value', /not supported by this model/],
  ])('rejects %s with %j on %s (%s)', (model, body, param, code, message) => {
    expectApiError(() => generate({ model, ...body }), { status: 400, param, code, message });
  });

  it.each([
    ['dall-e-2', 1000],
    ['dall-e-3', 4000],
    ['gpt-image-1', 32000],
    ['gpt-image-1-mini', 32000],
    ['gpt-image-1.5', 32000],
    ['gpt-image-2', 32000],
  ])('limits %s prompts to %d characters', (model, limit) => {
    expect(generate({ model, prompt: 'x'.repeat(limit) }).prompt).toHaveLength(limit);
    expectApiError(() => generate({ model, prompt: 'x'.repeat(limit + 1) }), {
      status: 400,
      param: 'prompt',
      code: 'string_above_max_length',
      message: `Invalid 'prompt': string too long. Expected a string with maximum length ${limit}, but got a string with length ${limit + 1} instead.`,
    });
  });

  describe.each(['dall-e-2', 'dall-e-3', 'gpt-image-1', 'gpt-image-2'])('for every model: %s', (model) => {
    it.each<[Record<string, unknown>, string, string, string]>([
      [{ n: 0 }, 'n', 'integer_below_min_value', "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead."],
      [{ n: 11 }, 'n', 'integer_above_max_value', "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead."],
      [{ n: 1.5 }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a decimal number instead."],
      [{ n: '2' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
      [{ prompt: undefined }, 'prompt', 'missing_required_parameter', "Missing required parameter: 'prompt'."],
      [{ prompt: null }, 'prompt', 'missing_required_parameter', "Missing required parameter: 'prompt'."],
      [{ prompt: '' }, 'prompt', 'empty_string', "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead."],
      [{ prompt: 42 }, 'prompt', 'invalid_type', "Invalid type for 'prompt': expected a string, but got an integer instead."],
      [{ size: 1024 }, 'size', 'invalid_type', "Invalid type for 'size': expected a string, but got an integer instead."],
      [{ response_format: 'jpeg' }, 'response_format', 'invalid_value', "Invalid value: 'jpeg'. Supported values are: 'url' and 'b64_json'."],
      [{ user: ['a'] }, 'user', 'invalid_type', "Invalid type for 'user': expected a string, but got an array instead."],
      [{ user: 'u'.repeat(257) }, 'user', 'string_above_max_length', "Invalid 'user': string too long. Expected a string with maximum length 256, but got a string with length 257 instead."],
      [{ seed: -1 }, 'seed', 'integer_below_min_value', "Invalid 'seed': integer below minimum value. Expected a value >= 0, but got -1 instead."],
      [{ seed: 'lucky' }, 'seed', 'invalid_type', "Invalid type for 'seed': expected an integer, but got a string instead."],
      [{ foo: 1 }, 'foo', 'unknown_parameter', "Unknown parameter: 'foo'."],
    ])('rejects %j on %s with %s', (body, param, code, message) => {
      expectApiError(() => generate({ model, ...body }), { status: 400, param, code, message });
    });

    it('treats null optional fields as absent', () => {
      const { params } = generate({ model, n: null, size: null, quality: null, response_format: null, user: null, seed: null });
      expect(params).toMatchObject({ model, n: 1, width: 1024, height: 1024 });
      expect(params).not.toHaveProperty('user');
      expect(params).not.toHaveProperty('seed');
    });
  });

  it('answers 404 model_not_found for a model the registry does not list', () => {
    expectApiError(() => generate({ model: 'foo' }), {
      status: 404,
      param: null,
      code: 'model_not_found',
      message: 'The model `foo` does not exist or you do not have access to it.',
    });
  });

  it('rejects a model that is not a string with invalid_type on model', () => {
    expectApiError(() => generate({ model: 3 }), { status: 400, param: 'model', code: 'invalid_type' });
  });

  it('rejects a body that is not a JSON object', () => {
    expectApiError(() => validateGenerationRequest({ body: [] as unknown as Record<string, unknown>, source: 'json' }, registry), {
      status: 400,
      param: null,
      code: 'invalid_type',
    });
  });
});
