import type { NormalizedImageParams } from './image-params';
import { normalizeImageParams, SHARED_REQUEST_FIELDS } from './image-params-normalizer';
import type { ModelRegistry, ModelRegistryEntry } from './model-registry';
import { selectModel } from './model-selection';
import { missingParameter } from './request-errors';
import { RequestFields, type RequestInput } from './request-fields';

const VARIATION_FIELDS: ReadonlySet<string> = new Set(SHARED_REQUEST_FIELDS);

export interface VariationRequestInput extends RequestInput {
  /** How many `image` files arrived; variations take exactly one (checked by `checkUploads`). */
  imageCount?: number;
}

export interface ValidatedVariation {
  entry: ModelRegistryEntry;
  params: NormalizedImageParams;
}

/** `POST /v1/images/variations`: dall-e-2 only, no prompt. */
export function validateVariationRequest(input: VariationRequestInput, registry: ModelRegistry): ValidatedVariation {
  const fields = new RequestFields(input);
  fields.rejectTextInFileFields(['image', 'image[]', 'mask']);
  fields.rejectUnknown(VARIATION_FIELDS);
  if ((input.imageCount ?? 0) === 0) throw missingParameter('image');
  const entry = selectModel(fields, registry, 'variation');
  const { params } = normalizeImageParams(fields, entry, 'variation');
  return { entry, params };
}
