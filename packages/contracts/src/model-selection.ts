import type { ImageOperation } from './image-params';
import type { ModelRegistry, ModelRegistryEntry } from './model-registry';
import {
  DEFAULT_DALL_E_MODEL,
  DEFAULT_GPT_IMAGE_MODEL,
  GPT_ONLY_PARAMETERS,
  isGptProfile,
  MODEL_PROFILE_RULES,
  profileRules,
} from './model-profiles';
import { invalidValue, modelNotFound } from './request-errors';
import type { RequestFields } from './request-fields';

/** `stream: false` is the default, so sending it asks for nothing GPT-specific. */
export function sendsGptParameter(fields: RequestFields, name: string): boolean {
  if (!fields.has(name)) return false;
  if (name !== 'stream') return true;
  const value = fields.raw('stream');
  return value !== false && value !== 'false';
}

function wantsGptModel(fields: RequestFields, imageCount: number): boolean {
  if (imageCount > 1) return true;
  if (GPT_ONLY_PARAMETERS.some((name) => sendsGptParameter(fields, name))) return true;
  const quality = fields.raw('quality');
  return typeof quality === 'string' && Object.hasOwn(MODEL_PROFILE_RULES['gpt-image'].qualities, quality);
}

/**
 * Picks the registry entry for `model`, defaulting as OpenAI does: dall-e-2 unless the
 * request uses something only GPT image models take (variations always dall-e-2).
 */
export function selectModel(
  fields: RequestFields,
  registry: ModelRegistry,
  operation: ImageOperation,
  imageCount = 0,
  options: SelectModelOptions = {},
): ModelRegistryEntry {
  const requested = fields.string('model');
  const id =
    requested ??
    (operation !== 'variation' && (options.gptOnly || wantsGptModel(fields, imageCount))
      ? DEFAULT_GPT_IMAGE_MODEL
      : DEFAULT_DALL_E_MODEL);
  const entry = registry.get(id);
  if (!entry) throw modelNotFound(id);
  const serves = (candidate: ModelRegistryEntry) =>
    profileRules(candidate.profile).operations.includes(operation) && (!options.gptOnly || isGptProfile(candidate.profile));
  if (!serves(entry)) throw invalidValue('model', id, registry.entries.filter(serves).map((candidate) => candidate.id));
  return entry;
}

export interface SelectModelOptions {
  /** Only GPT image models serve this form (the JSON edit form); it also defaults to one. */
  gptOnly?: boolean;
}
