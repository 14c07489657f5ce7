import { InvalidRequestError } from './api-errors';
import type { ModelProfile } from './image-params';
import { isGptProfile } from './model-profiles';
import { arrayTooLong, formatList, missingParameter, unknownParameter } from './request-errors';

const MB = 1024 * 1024;

/** dall-e-2 edit and variation inputs: "a square PNG less than 4MB". */
export const DALL_E_2_MAX_IMAGE_BYTES = 4 * MB;
/** Each GPT image model edit input. */
export const GPT_MAX_IMAGE_BYTES = 50 * MB;
export const MASK_MAX_IMAGE_BYTES = 4 * MB;
export const GPT_MAX_INPUT_IMAGES = 16;

export type UploadFormat = 'png' | 'jpeg' | 'webp' | 'unknown';

/** What the API learnt by probing an uploaded file's bytes; nothing here decodes images. */
export interface ProbedUpload {
  /** Multipart field (`image`, `image[]`, `mask`) or JSON field (`images`, `mask`). */
  field: 'image' | 'image[]' | 'images' | 'mask';
  format: UploadFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  bytes: number;
}

export interface UploadSet {
  images: readonly ProbedUpload[];
  mask?: ProbedUpload;
}

const MIME: Record<Exclude<UploadFormat, 'unknown'>, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

function paramOf(upload: ProbedUpload): string {
  return upload.field === 'image[]' ? 'image' : upload.field;
}

function formatMb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function rejectUnsupportedFormat(upload: ProbedUpload, allowed: readonly Exclude<UploadFormat, 'unknown'>[]): void {
  if (upload.format !== 'unknown' && allowed.includes(upload.format)) return;
  const found = upload.format === 'unknown' ? 'not a recognised image' : `'${MIME[upload.format]}'`;
  throw new InvalidRequestError(
    `Invalid file '${paramOf(upload)}': ${found}. Supported file formats are ${formatList(allowed.map((format) => MIME[format]))}.`,
    { param: paramOf(upload), code: 'invalid_image_format' },
  );
}

function rejectOversize(upload: ProbedUpload, maxBytes: number): void {
  if (upload.bytes <= maxBytes) return;
  throw new InvalidRequestError(
    `Invalid file '${paramOf(upload)}': the file must be at most ${formatMb(maxBytes)}, but got ${formatMb(upload.bytes)}.`,
    { param: paramOf(upload), code: 'image_too_large' },
  );
}

function invalidImage(upload: ProbedUpload, message: string): InvalidRequestError {
  return new InvalidRequestError(message, { param: paramOf(upload), code: 'invalid_image' });
}

function checkDallE2Image(image: ProbedUpload, needsAlpha: boolean): void {
  rejectUnsupportedFormat(image, ['png']);
  rejectOversize(image, DALL_E_2_MAX_IMAGE_BYTES);
  if (image.width !== image.height) {
    throw invalidImage(image, `Invalid input image: the image must be square, but got ${image.width}x${image.height}.`);
  }
  if (needsAlpha && !image.hasAlpha) {
    throw invalidImage(
      image,
      'Invalid input image: without a mask the image must have transparency (an alpha channel); its transparent areas mark where to edit.',
    );
  }
}

function checkMask(mask: ProbedUpload, firstImage: ProbedUpload): void {
  rejectUnsupportedFormat(mask, ['png']);
  rejectOversize(mask, MASK_MAX_IMAGE_BYTES);
  if (!mask.hasAlpha) {
    throw invalidImage(mask, 'Invalid mask image. The mask must have an alpha channel; its transparent areas mark where to edit.');
  }
  if (mask.width !== firstImage.width || mask.height !== firstImage.height) {
    throw invalidImage(
      mask,
      `Invalid mask image. The mask image must have the same dimensions as the original image (${firstImage.width}x${firstImage.height}), but got ${mask.width}x${mask.height}.`,
    );
  }
}

/**
 * OpenAI's rules on edit and variation inputs per model family. Throws the first
 * violation as a 400; the API calls it after probing the files and before enqueueing.
 */
export function checkUploads(operation: 'edit' | 'variation', profile: ModelProfile, uploads: UploadSet): void {
  const first = uploads.images[0];
  if (!first) throw missingParameter('image');
  const gpt = isGptProfile(profile);
  const maxImages = gpt && operation === 'edit' ? GPT_MAX_INPUT_IMAGES : 1;
  if (uploads.images.length > maxImages) throw arrayTooLong(paramOf(first), maxImages, uploads.images.length);
  if (operation === 'variation' && uploads.mask) {
    throw unknownParameter('mask');
  }
  for (const image of uploads.images) {
    if (gpt) {
      rejectUnsupportedFormat(image, ['png', 'jpeg', 'webp']);
      rejectOversize(image, GPT_MAX_IMAGE_BYTES);
    } else {
      checkDallE2Image(image, operation === 'edit' && !uploads.mask);
    }
  }
  if (uploads.mask) checkMask(uploads.mask, first);
}
