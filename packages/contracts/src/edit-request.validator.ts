import { decodeJsonEditImages, type DecodedImage } from './edit-images';
import {
  normalizeImageParams,
  parsePrompt,
  PROMPT_REQUEST_FIELDS,
  SHARED_REQUEST_FIELDS,
  type NormalizedRequest,
} from './image-params-normalizer';
import type { ModelRegistry, ModelRegistryEntry } from './model-registry';
import type { ImageSize } from './model-profiles';
import { selectModel } from './model-selection';
import { missingParameter } from './request-errors';
import { RequestFields, type RequestInput } from './request-fields';

const EDIT_FIELDS = [...SHARED_REQUEST_FIELDS, ...PROMPT_REQUEST_FIELDS, 'input_fidelity'];
const MULTIPART_EDIT_FIELDS: ReadonlySet<string> = new Set(EDIT_FIELDS);
/**
 * OpenAI's JSON edit form sends images inline as `images: [{ image_url }]` and `mask: { image_url }`;
 * it serves GPT image models only, so it takes `moderation` as their generations do.
 */
const JSON_EDIT_FIELDS: ReadonlySet<string> = new Set([...EDIT_FIELDS, 'images', 'mask', 'moderation']);

export interface EditRequestInput extends RequestInput {
  /** Multipart: how many `image` / `image[]` files arrived. JSON bodies carry `images` instead. */
  imageCount?: number;
  /** Width and height of the first input image, when already probed: resolves size `auto`. */
  firstImage?: ImageSize;
}

export interface ValidatedEdit extends NormalizedRequest {
  entry: ModelRegistryEntry;
  prompt: string;
  /** JSON form only: the decoded `images`, in order (empty for multipart, whose files the API holds). */
  images: DecodedImage[];
  /** JSON form only: the decoded `mask`. */
  mask?: DecodedImage;
}

/**
 * `POST /v1/images/edits`, multipart or JSON. File contents are checked afterwards with
 * `checkUploads`; a size of `auto` follows `firstImage` (or `applyFirstImageSize` later).
 */
export function validateEditRequest(input: EditRequestInput, registry: ModelRegistry): ValidatedEdit {
  const fields = new RequestFields(input);
  fields.rejectTextInFileFields(['image', 'image[]', 'mask']);
  fields.rejectUnknown(input.source === 'json' ? JSON_EDIT_FIELDS : MULTIPART_EDIT_FIELDS);
  const inline = input.source === 'json' ? decodeJsonEditImages(fields) : { images: [] };
  const imageCount = input.source === 'json' ? inline.images.length : (input.imageCount ?? 0);
  if (imageCount === 0) throw missingParameter('image');
  const entry = selectModel(fields, registry, 'edit', imageCount, { gptOnly: input.source === 'json' });
  const prompt = parsePrompt(fields, entry);
  return { entry, prompt, ...inline, ...normalizeImageParams(fields, entry, 'edit', input.firstImage) };
}
