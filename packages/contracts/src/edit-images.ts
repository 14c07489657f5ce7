import { InvalidRequestError } from './api-errors';
import { arrayTooLong, invalidType, missingParameter, stringTooLong, unknownParameter } from './request-errors';
import type { RequestFields } from './request-fields';
import { GPT_MAX_INPUT_IMAGES } from './upload-rules';

/** OpenAI's cap on one `image_url` string (20 MiB of text). */
export const IMAGE_URL_MAX_LENGTH = 20_971_520;

/** An image sent inline in a JSON edit, decoded but not inspected. */
export interface InlineImage {
  kind: 'inline';
  /** Where it came from (`images[0]`, `mask`), for error `param`s. */
  param: string;
  /** Media type the data URL declared; the API trusts the bytes, not this. */
  mediaType: string;
  bytes: Buffer;
}

/** An image named by the id of an uploaded file (`{ file_id }`); the caller resolves it for its owner. */
export interface FileImageRef {
  kind: 'file';
  /** `images[0].file_id`, `mask.file_id`. */
  param: string;
  fileId: string;
}

export type DecodedImage = InlineImage | FileImageRef;

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)(?:;[a-z0-9-]+=[^;,]*)*;base64,([\s\S]*)$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const REMOTE_URL = /^https?:\/\//i;

function invalidImageUrl(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid '${param}': ${message}`, { param, code: 'invalid_image_url' });
}

function decodeDataUrl(param: string, url: string): InlineImage {
  if (url.length > IMAGE_URL_MAX_LENGTH) throw stringTooLong(param, IMAGE_URL_MAX_LENGTH, url.length);
  if (REMOTE_URL.test(url)) {
    throw invalidImageUrl(
      param,
      'remote image URLs are not fetched by this server. Send the image inline as a base64 data URL (data:image/png;base64,...) or upload it as multipart form data.',
    );
  }
  const match = DATA_URL.exec(url);
  const payload = match?.[2]?.replace(/\s+/g, '') ?? '';
  if (!match || payload.length === 0 || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    throw invalidImageUrl(param, 'expected a base64 data URL such as data:image/png;base64,iVBORw0KGgo...');
  }
  return {
    kind: 'inline',
    param: param.replace(/\.image_url$/, ''),
    mediaType: (match[1] as string).toLowerCase(),
    bytes: Buffer.from(payload, 'base64'),
  };
}

/** One `{ image_url }` / `{ file_id }` reference (OpenAI's ImageRefParam). */
function decodeImageRef(param: string, ref: unknown): DecodedImage {
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) throw invalidType(param, 'an object', ref);
  const fields = ref as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => key !== 'image_url' && key !== 'file_id');
  if (unknown !== undefined) throw unknownParameter(`${param}.${unknown}`);
  const hasUrl = fields.image_url !== undefined && fields.image_url !== null;
  const hasFileId = fields.file_id !== undefined && fields.file_id !== null;
  if (hasUrl === hasFileId) {
    throw new InvalidRequestError(`Invalid '${param}': provide exactly one of 'image_url' or 'file_id'.`, {
      param,
      code: 'invalid_value',
    });
  }
  if (hasFileId) {
    if (typeof fields.file_id !== 'string') throw invalidType(`${param}.file_id`, 'a string', fields.file_id);
    if (fields.file_id.length === 0) {
      throw new InvalidRequestError(`Invalid '${param}.file_id': empty string. Expected a file id such as 'file-abc123'.`, {
        param: `${param}.file_id`,
        code: 'empty_string',
      });
    }
    return { kind: 'file', param: `${param}.file_id`, fileId: fields.file_id };
  }
  if (typeof fields.image_url !== 'string') throw invalidType(`${param}.image_url`, 'a string', fields.image_url);
  return decodeDataUrl(`${param}.image_url`, fields.image_url);
}

/** The JSON edit form's `images` array and optional `mask`, decoded to bytes. */
export function decodeJsonEditImages(fields: RequestFields): { images: DecodedImage[]; mask?: DecodedImage } {
  const images = fields.raw('images');
  if (images === undefined) throw missingParameter('images');
  if (!Array.isArray(images)) throw invalidType('images', 'an array', images);
  if (images.length === 0) {
    throw new InvalidRequestError(
      "Invalid 'images': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      { param: 'images', code: 'empty_array' },
    );
  }
  if (images.length > GPT_MAX_INPUT_IMAGES) throw arrayTooLong('images', GPT_MAX_INPUT_IMAGES, images.length);
  const decoded = images.map((ref, index) => decodeImageRef(`images[${index}]`, ref));
  const mask = fields.raw('mask');
  return mask === undefined ? { images: decoded } : { images: decoded, mask: decodeImageRef('mask', mask) };
}
