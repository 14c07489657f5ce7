import type { NormalizedImageParams } from './image-params';
import {
  normalizeImageParams,
  parsePrompt,
  PROMPT_REQUEST_FIELDS,
  SHARED_REQUEST_FIELDS,
} from './image-params-normalizer';
import type { ModelRegistry, ModelRegistryEntry } from './model-registry';
import { selectModel } from './model-selection';
import { RequestFields, type RequestInput } from './request-fields';

const GENERATION_FIELDS: ReadonlySet<string> = new Set([
  ...SHARED_REQUEST_FIELDS,
  ...PROMPT_REQUEST_FIELDS,
  'style',
  'moderation',
]);

export interface ValidatedGeneration {
  entry: ModelRegistryEntry;
  params: NormalizedImageParams;
  prompt: string;
}

/** `POST /v1/images/generations`: OpenAI's checks for the chosen model, or an ApiError. */
export function validateGenerationRequest(input: RequestInput, registry: ModelRegistry): ValidatedGeneration {
  const fields = new RequestFields(input);
  fields.rejectUnknown(GENERATION_FIELDS);
  const entry = selectModel(fields, registry, 'generation');
  const prompt = parsePrompt(fields, entry);
  const { params } = normalizeImageParams(fields, entry, 'generation');
  return { entry, params, prompt };
}
