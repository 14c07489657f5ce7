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
  /** The Content-Type the client declared for the part, when it declared one; OpenAI's messages quote it. */
  mimetype?: string;
}

export interface UploadSet {
  images: readonly ProbedUpload[];
  mask?: ProbedUpload;
}

const MIME: Record<UploadFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  unknown: 'application/octet-stream',
};

/** In OpenAI's order: its message lists 'image/jpeg', 'image/png', and 'image/webp'. */
const GPT_INPUT_FORMATS = ['jpeg', 'png', 'webp'] as const;

function paramOf(upload: ProbedUpload): string {
  return upload.field === 'image[]' ? 'image' : upload.field;
}

function formatMb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** `image[0]`, `image[1]`… when several `image[]` files arrived, as OpenAI names them. */
function indexedParam(upload: ProbedUpload, index: number, count: number): string {
  return upload.field === 'image[]' && count > 1 ? `image[${index}]` : paramOf(upload);
}

/**
 * Which formats a model takes is decided by the bytes; the message quotes the type the client
 * declared, unless that type is an accepted one (then the bytes belied it) or none was declared.
 */
function rejectUnsupportedFormat(
  upload: ProbedUpload,
  allowed: readonly Exclude<UploadFormat, 'unknown'>[],
  param = paramOf(upload),
): void {
  if (upload.format !== 'unknown' && allowed.includes(upload.format)) return;
  const supported = allowed.map((format) => MIME[format]);
  const declared = upload.mimetype?.split(';')[0]?.trim().toLowerCase();
  const mimetype = declared && !supported.includes(declared) ? declared : MIME[upload.format];
  // OpenAI's answer, as quoted in public reports of "unsupported mimetype ('application/octet-stream')" on image edits.
  throw new InvalidRequestError(
    `Invalid file '${param}': unsupported mimetype ('${mimetype}'). Supported file formats are ${formatList(supported)}.`,
    { param, code: 'unsupported_file_mimetype' },
  );
}

// OpenAI's answer for a dall-e-2 input over 4 MB (param null), as quoted in public OpenAI error dumps on GitHub.
export const DALL_E_2_IMAGE_TOO_LARGE_MESSAGE = 'Uploaded image must be a PNG and less than 4 MB.';
// OpenAI's answer for a dall-e-2 edit input without alpha and without a mask, as quoted in public OpenAI error dumps on GitHub.
export const DALL_E_2_NEEDS_ALPHA_MESSAGE = "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.";

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
  if (image.bytes > DALL_E_2_MAX_IMAGE_BYTES) {
    throw new InvalidRequestError(DALL_E_2_IMAGE_TOO_LARGE_MESSAGE, { code: 'invalid_image_format' });
  }
  if (image.width !== image.height) {
    throw invalidImage(image, `Invalid input image: the image must be square, but got ${image.width}x${image.height}.`);
  }
  // The probe knows alpha, not the colour mode: an opaque grayscale PNG (mode L) is refused too.
  if (needsAlpha && !image.hasAlpha) throw invalidImage(image, DALL_E_2_NEEDS_ALPHA_MESSAGE);
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
  for (const [index, image] of uploads.images.entries()) {
    if (gpt) {
      rejectUnsupportedFormat(image, GPT_INPUT_FORMATS, indexedParam(image, index, uploads.images.length));
      rejectOversize(image, GPT_MAX_IMAGE_BYTES);
    } else {
      checkDallE2Image(image, operation === 'edit' && !uploads.mask);
    }
  }
  if (uploads.mask) checkMask(uploads.mask, first);
}
