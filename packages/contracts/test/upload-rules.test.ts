import {
  checkUploads,
  DALL_E_2_MAX_IMAGE_BYTES,
  GPT_MAX_IMAGE_BYTES,
  GPT_MAX_INPUT_IMAGES,
  MASK_MAX_IMAGE_BYTES,
  type ModelProfile,
  type ProbedUpload,
  type UploadSet,
} from '../src';
import { expectApiError } from './expect-api-error';

const upload = (overrides: Partial<ProbedUpload> = {}): ProbedUpload => ({
  field: 'image',
  format: 'png',
  width: 1024,
  height: 1024,
  hasAlpha: true,
  bytes: 1_000_000,
  ...overrides,
});
const mask = (overrides: Partial<ProbedUpload> = {}) => upload({ field: 'mask', ...overrides });
const many = (count: number, overrides: Partial<ProbedUpload> = {}) =>
  Array.from({ length: count }, () => upload({ field: 'image[]', ...overrides }));

describe(checkUploads.name, () => {
  it('states OpenAI limits as constants', () => {
    expect([DALL_E_2_MAX_IMAGE_BYTES, MASK_MAX_IMAGE_BYTES, GPT_MAX_IMAGE_BYTES, GPT_MAX_INPUT_IMAGES]).toEqual([
      4 * 1024 * 1024,
      4 * 1024 * 1024,
      50 * 1024 * 1024,
      16,
    ]);
  });

  it.each<['edit' | 'variation', ModelProfile, string, UploadSet]>([
    ['edit', 'dall-e-2', 'a square PNG with alpha', { images: [upload()] }],
    ['edit', 'dall-e-2', 'an opaque PNG with a mask', { images: [upload({ hasAlpha: false })], mask: mask() }],
    ['edit', 'dall-e-2', 'a PNG of exactly 4 MB', { images: [upload({ bytes: DALL_E_2_MAX_IMAGE_BYTES })] }],
    ['variation', 'dall-e-2', 'an opaque square PNG', { images: [upload({ hasAlpha: false })] }],
    ['edit', 'gpt-image', '16 mixed-format images', { images: [...many(14), upload({ field: 'image[]', format: 'jpeg' }), upload({ field: 'image[]', format: 'webp' })] }],
    ['edit', 'gpt-image', 'a wide opaque JPEG', { images: [upload({ format: 'jpeg', width: 1600, height: 900, hasAlpha: false })] }],
    ['edit', 'gpt-image-2', 'a 50 MB WebP with a matching mask', { images: [upload({ format: 'webp', bytes: GPT_MAX_IMAGE_BYTES })], mask: mask() }],
  ])('%s on %s accepts %s', (operation, profile, _label, uploads) => {
    expect(() => checkUploads(operation, profile, uploads)).not.toThrow();
  });

  it.each<['edit' | 'variation', ModelProfile, string, UploadSet, string, string, string | RegExp]>([
    ['edit', 'dall-e-2', 'no image', { images: [] }, 'image', 'missing_required_parameter', "Missing required parameter: 'image'."],
    ['edit', 'dall-e-2', 'two images', { images: many(2) }, 'image', 'array_above_max_length', "Invalid 'image': array too long. Expected an array with maximum length 1, but got an array with length 2 instead."],
    ['variation', 'dall-e-2', 'two images', { images: many(2) }, 'image', 'array_above_max_length', /maximum length 1/],
    ['edit', 'dall-e-2', 'a JPEG', { images: [upload({ format: 'jpeg' })] }, 'image', 'unsupported_file_mimetype', "Invalid file 'image': unsupported mimetype ('image/jpeg'). Supported file formats are 'image/png'."],
    ['variation', 'dall-e-2', 'a WebP', { images: [upload({ format: 'webp' })] }, 'image', 'unsupported_file_mimetype', /Supported file formats are 'image\/png'\.$/],
    ['edit', 'dall-e-2', 'a non-square PNG', { images: [upload({ width: 1024, height: 512 })] }, 'image', 'invalid_image', /must be square, but got 1024x512/],
    ['variation', 'dall-e-2', 'a non-square PNG', { images: [upload({ width: 256, height: 512 })] }, 'image', 'invalid_image', /must be square/],
    ['edit', 'dall-e-2', 'an opaque PNG without a mask', { images: [upload({ hasAlpha: false })] }, 'image', 'invalid_image', "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."],
    ['variation', 'dall-e-2', 'a mask', { images: [upload()], mask: mask() }, 'mask', 'unknown_parameter', "Unknown parameter: 'mask'."],
    ['edit', 'gpt-image', 'a text file declared text/plain', { images: [upload({ format: 'unknown', mimetype: 'text/plain' })] }, 'image', 'unsupported_file_mimetype', "Invalid file 'image': unsupported mimetype ('text/plain'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."],
    ['edit', 'gpt-image', 'undeclared bytes that are no image', { images: [upload({ format: 'unknown' })] }, 'image', 'unsupported_file_mimetype', /unsupported mimetype \('application\/octet-stream'\)/],
    ['edit', 'gpt-image', 'a non-image declared image/png', { images: [upload({ format: 'unknown', mimetype: 'image/png' })] }, 'image', 'unsupported_file_mimetype', /unsupported mimetype \('application\/octet-stream'\)/],
    ['edit', 'gpt-image', 'an unknown file second in image[]', { images: [upload({ field: 'image[]' }), upload({ field: 'image[]', format: 'unknown', mimetype: 'Text/Plain; charset=utf-8' })] }, 'image[1]', 'unsupported_file_mimetype', /^Invalid file 'image\[1\]': unsupported mimetype \('text\/plain'\)\./],
    ['edit', 'gpt-image', 'a lone unknown file in image[]', { images: [upload({ field: 'image[]', format: 'unknown' })] }, 'image', 'unsupported_file_mimetype', /^Invalid file 'image':/],
    ['edit', 'gpt-image-2', '17 images', { images: many(17) }, 'image', 'array_above_max_length', /maximum length 16, but got an array with length 17/],
    ['edit', 'gpt-image', 'an image over 50 MB', { images: [upload({ bytes: GPT_MAX_IMAGE_BYTES + 1 })] }, 'image', 'image_too_large', /at most 50\.0 MB/],
    ['edit', 'gpt-image', 'a JPEG mask', { images: [upload()], mask: mask({ format: 'jpeg' }) }, 'mask', 'unsupported_file_mimetype', "Invalid file 'mask': unsupported mimetype ('image/jpeg'). Supported file formats are 'image/png'."],
    ['edit', 'gpt-image', 'a mask without alpha', { images: [upload()], mask: mask({ hasAlpha: false }) }, 'mask', 'invalid_image', /^Invalid mask image\. The mask must have an alpha channel/],
    ['edit', 'dall-e-2', 'a mask over 4 MB', { images: [upload()], mask: mask({ bytes: MASK_MAX_IMAGE_BYTES + 1 }) }, 'mask', 'image_too_large', /'mask'/],
    ['edit', 'gpt-image', 'a mask of other dimensions', { images: [upload({ width: 1536, height: 1024 })], mask: mask() }, 'mask', 'invalid_image', 'Invalid mask image. The mask image must have the same dimensions as the original image (1536x1024), but got 1024x1024.'],
    ['edit', 'gpt-image', 'a mask matching the second image only', { images: [upload(), upload({ width: 512, height: 512 })], mask: mask({ width: 512, height: 512 }) }, 'mask', 'invalid_image', /same dimensions as the original image \(1024x1024\)/],
  ])('%s on %s rejects %s', (operation, profile, _label, uploads, param, code, message) => {
    expectApiError(() => checkUploads(operation, profile, uploads), { status: 400, param, code, message });
  });

  it('reports JSON-form inputs under their JSON field name', () => {
    expectApiError(() => checkUploads('edit', 'gpt-image', { images: [upload({ field: 'images', format: 'unknown' })] }), {
      status: 400,
      param: 'images',
      code: 'unsupported_file_mimetype',
    });
  });

  it.each<['edit' | 'variation', boolean]>([
    ['edit', true],
    ['variation', false],
  ])('answers OpenAI\'s sentence for a dall-e-2 %s input over 4 MB', (operation, hasAlpha) => {
    expectApiError(() => checkUploads(operation, 'dall-e-2', { images: [upload({ bytes: DALL_E_2_MAX_IMAGE_BYTES + 1, hasAlpha })] }), {
      status: 400,
      param: null,
      code: 'invalid_image_format',
      message: 'Uploaded image must be a PNG and less than 4 MB.',
    });
  });
});
