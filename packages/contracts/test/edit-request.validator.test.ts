import { applyFirstImageSize, defaultModelRegistry, validateEditRequest, type DecodedImage, type ImageSize } from '../src';
import { expectApiError } from './expect-api-error';

const registry = defaultModelRegistry();
const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const dataUrl = (bytes: Buffer, mediaType = 'image/png') => `data:${mediaType};base64,${bytes.toString('base64')}`;
const ref = (bytes = PNG_BYTES) => ({ image_url: dataUrl(bytes) });
const editJson = (body: Record<string, unknown>) =>
  validateEditRequest({ body: { prompt: 'add a hat', images: [ref()], ...body }, source: 'json' }, registry);
const editMultipart = (body: Record<string, unknown>, imageCount = 1, firstImage?: ImageSize) =>
  validateEditRequest({ body: { prompt: 'add a hat', ...body }, source: 'multipart', imageCount, firstImage }, registry);

describe(validateEditRequest.name, () => {
  it('decodes JSON data URLs into the bytes that were sent, in order', () => {
    const second = Buffer.from('second image');
    const mask = Buffer.from('mask bytes');
    const result = editJson({ images: [ref(), { image_url: dataUrl(second, 'image/webp') }], mask: ref(mask) });
    const inline = (image: DecodedImage | undefined) => (image?.kind === 'inline' ? image : undefined);
    expect(result.images.map((image) => [image.param, inline(image)?.mediaType])).toEqual([
      ['images[0]', 'image/png'],
      ['images[1]', 'image/webp'],
    ]);
    expect(inline(result.images[0])?.bytes.equals(PNG_BYTES)).toBe(true);
    expect(inline(result.images[1])?.bytes.equals(second)).toBe(true);
    expect(inline(result.mask)?.bytes.equals(mask)).toBe(true);
    expect(result.entry.id).toBe('gpt-image-1');
  });

  it('passes file references through for the caller to resolve, mixed with data URLs', () => {
    const result = editJson({ images: [{ file_id: 'file-abc' }, ref()], mask: { file_id: 'file-mask' } });
    expect(result.images[0]).toEqual({ kind: 'file', param: 'images[0].file_id', fileId: 'file-abc' });
    expect(result.images[1]?.kind).toBe('inline');
    expect(result.mask).toEqual({ kind: 'file', param: 'mask.file_id', fileId: 'file-mask' });
  });

  it('defaults a single JSON image to gpt-image-1: the JSON form serves GPT image models only', () => {
    const { entry, params, prompt, images } = editJson({});
    expect(entry.id).toBe('gpt-image-1');
    expect(prompt).toBe('add a hat');
    expect(images).toHaveLength(1);
    expect(params).toMatchObject({ n: 1, quality: 'high', responseFormat: 'b64_json' });
  });

  it('rejects dall-e-2 in the JSON form with invalid_value on model, listing the GPT image models', () => {
    expectApiError(() => editJson({ model: 'dall-e-2' }), {
      status: 400,
      param: 'model',
      code: 'invalid_value',
      message:
        "Invalid value: 'dall-e-2'. Supported values are: 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'gpt-image-2-2026-04-21', and 'chatgpt-image-latest'.",
    });
  });

  it('takes moderation in the JSON form but not in multipart', () => {
    expect(editJson({ model: 'gpt-image-1', moderation: 'low' }).params.moderation).toBe('low');
    expectApiError(() => editJson({ moderation: 'strict' }), { status: 400, param: 'moderation', code: 'invalid_value' });
    expectApiError(() => editMultipart({ model: 'gpt-image-1', moderation: 'low' }), {
      status: 400,
      param: 'moderation',
      code: 'unknown_parameter',
      message: "Unknown parameter: 'moderation'.",
    });
  });

  it('returns no inline images for multipart edits, whose files the API holds', () => {
    expect(editMultipart({}).images).toEqual([]);
  });

  it.each<[Record<string, unknown>, string, string, string | RegExp]>([
    [{ images: undefined }, 'images', 'missing_required_parameter', "Missing required parameter: 'images'."],
    [{ images: 'data:image/png;base64,AAAA' }, 'images', 'invalid_type', "Invalid type for 'images': expected an array, but got a string instead."],
    [{ images: [] }, 'images', 'empty_array', /^Invalid 'images': empty array\./],
    [{ images: Array.from({ length: 17 }, () => ref()) }, 'images', 'array_above_max_length', "Invalid 'images': array too long. Expected an array with maximum length 16, but got an array with length 17 instead."],
    [{ images: ['data:image/png;base64,AAAA'] }, 'images[0]', 'invalid_type', "Invalid type for 'images[0]': expected an object, but got a string instead."],
    [{ images: [{ image_url: 'https://example.com/cat.png' }] }, 'images[0].image_url', 'invalid_image_url', /^Invalid 'images\[0\]\.image_url': remote image URLs are not fetched/],
    [{ images: [{ image_url: 'HTTP://example.com/cat.png' }] }, 'images[0].image_url', 'invalid_image_url', /remote image URLs/],
    [{ images: [{ file_id: 5 }] }, 'images[0].file_id', 'invalid_type', "Invalid type for 'images[0].file_id': expected a string, but got an integer instead."],
    [{ images: [{ file_id: '' }] }, 'images[0].file_id', 'empty_string', /^Invalid 'images\[0\]\.file_id': empty string/],
    [{ images: [{ image_url: dataUrl(PNG_BYTES), file_id: 'file-abc' }] }, 'images[0]', 'invalid_value', "Invalid 'images[0]': provide exactly one of 'image_url' or 'file_id'."],
    [{ images: [{}] }, 'images[0]', 'invalid_value', /exactly one of 'image_url' or 'file_id'/],
    [{ images: [{ image_url: 'data:image/png;base64,@@@@' }] }, 'images[0].image_url', 'invalid_image_url', /base64 data URL/],
    [{ images: [{ image_url: 'data:image/png;base64,' }] }, 'images[0].image_url', 'invalid_image_url', /base64 data URL/],
    [{ images: [{ image_url: 'data:text/plain;base64,AAAA' }] }, 'images[0].image_url', 'invalid_image_url', /base64 data URL/],
    [{ images: [{ image_url: 5 }] }, 'images[0].image_url', 'invalid_type', "Invalid type for 'images[0].image_url': expected a string, but got an integer instead."],
    [{ images: [{ image_url: dataUrl(PNG_BYTES), detail: 'high' }] }, 'images[0].detail', 'unknown_parameter', "Unknown parameter: 'images[0].detail'."],
    [{ mask: { image_url: 'https://example.com/mask.png' } }, 'mask.image_url', 'invalid_image_url', /remote image URLs/],
    [{ mask: { file_id: 7 } }, 'mask.file_id', 'invalid_type', /expected a string/],
  ])('rejects JSON edit images %j on %s with %s', (body, param, code, message) => {
    expectApiError(() => editJson(body), { status: 400, param, code, message });
  });

  it('rejects an image_url longer than OpenAI allows', () => {
    const url = `data:image/png;base64,${'A'.repeat(20_971_520)}`;
    expectApiError(() => editJson({ images: [{ image_url: url }] }), {
      status: 400,
      param: 'images[0].image_url',
      code: 'string_above_max_length',
    });
  });

  it('requires at least one uploaded image in a multipart edit', () => {
    expectApiError(() => editMultipart({}, 0), {
      status: 400,
      param: 'image',
      code: 'missing_required_parameter',
      message: "Missing required parameter: 'image'.",
    });
  });

  it.each([
    ['dall-e-3', "Invalid value: 'dall-e-3'. Supported values are: 'dall-e-2', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'gpt-image-2-2026-04-21', and 'chatgpt-image-latest'."],
  ])('rejects %s, which cannot edit, with invalid_value on model', (model, message) => {
    expectApiError(() => editMultipart({ model }), { status: 400, param: 'model', code: 'invalid_value', message });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['gpt-image-1', {}, { inputFidelity: 'low', quality: 'high', responseFormat: 'b64_json' }],
    ['gpt-image-1', { input_fidelity: 'high' }, { inputFidelity: 'high' }],
    ['gpt-image-2', { size: '2048x1152', quality: 'low' }, { width: 2048, height: 1152, quality: 'low' }],
    ['dall-e-2', { size: '256x256', quality: 'auto', n: '4' }, { width: 256, quality: 'standard', n: 4 }],
    ['gpt-image-2-2026-04-21', { size: '2048x1152' }, { model: 'gpt-image-2-2026-04-21', profile: 'gpt-image-2', width: 2048 }],
    ['chatgpt-image-latest', { background: 'transparent' }, { model: 'chatgpt-image-latest', profile: 'gpt-image', background: 'transparent' }],
  ])('accepts a %s edit with %j', (model, body, expected) => {
    expect(editMultipart({ model, ...body }).params).toMatchObject(expected);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['dall-e-2', { input_fidelity: 'high' }, 'input_fidelity', 'unknown_parameter'],
    ['dall-e-2', { quality: 'low' }, 'quality', 'unknown_parameter'],
    ['gpt-image-1', { input_fidelity: 'max' }, 'input_fidelity', 'invalid_value'],
    ['dall-e-2', { size: '1536x1024' }, 'size', 'invalid_value'],
    ['gpt-image-1', { quality: 'standard' }, 'quality', 'invalid_value'],
  ])('rejects a %s edit with %j on %s', (model, body, param, code) => {
    expectApiError(() => editMultipart({ model, ...body }), { status: 400, param, code });
  });

  it.each<[string, ImageSize | undefined, string]>([
    ['gpt-image-1', { width: 1600, height: 1000 }, '1536x1024'],
    ['gpt-image-1', { width: 800, height: 1400 }, '1024x1536'],
    ['gpt-image-1', { width: 900, height: 1000 }, '1024x1024'],
    ['gpt-image-2', { width: 3000, height: 1000 }, '1536x1024'],
    ['gpt-image-1', undefined, '1024x1024'],
  ])('resolves %s size auto from a first image of %j to %s', (model, firstImage, expected) => {
    const { params, autoSize } = editMultipart({ model, size: 'auto' }, 1, firstImage);
    expect(autoSize).toBe(true);
    expect(`${params.width}x${params.height}`).toBe(expected);
  });

  it('resolves auto later with applyFirstImageSize once the JSON images are probed', () => {
    const validated = editJson({ model: 'gpt-image-1' });
    expect(validated.params).toMatchObject({ width: 1024, height: 1024 });
    const resolved = applyFirstImageSize(validated, { width: 600, height: 1000 });
    expect(resolved.params).toMatchObject({ width: 1024, height: 1536 });
    expect(resolved.images).toBe(validated.images);
  });

  it('keeps an explicit size when the first image has another aspect ratio', () => {
    const validated = editMultipart({ model: 'gpt-image-1', size: '1536x1024' }, 1);
    expect(validated.autoSize).toBe(false);
    expect(applyFirstImageSize(validated, { width: 600, height: 1000 }).params).toMatchObject({ width: 1536, height: 1024 });
  });
});
