import { InvalidRequestError } from './api-errors';
import type { ImageOperation, NormalizedImageParams } from './image-params';
import type { ModelRegistryEntry } from './model-registry';
import { GPT_ONLY_PARAMETERS, profileRules, type ImageSize, type ModelProfileRules } from './model-profiles';
import { sendsGptParameter } from './model-selection';
import { missingParameter, unknownParameter } from './request-errors';
import type { RequestFields } from './request-fields';
import { checkSize, resolveAutoSize } from './size-rules';

/** Body fields every operation takes; `webhook_url` is ours, checked by the API against its allowed hosts. */
export const SHARED_REQUEST_FIELDS = ['model', 'n', 'size', 'response_format', 'user', 'seed', 'webhook_url'] as const;
/** Body fields generations and edits take on top of the shared ones. */
export const PROMPT_REQUEST_FIELDS = [
  'prompt',
  'quality',
  'output_format',
  'output_compression',
  'background',
  'partial_images',
  'stream',
] as const;

/** Longest `user` accepted: an end-user identifier, not a document. */
export const USER_MAX_LENGTH = 256;

export interface NormalizedRequest {
  params: NormalizedImageParams;
  /** The size was `auto`: width/height follow the first input image once it is known. */
  autoSize: boolean;
}

export function parsePrompt(fields: RequestFields, entry: ModelRegistryEntry): string {
  return fields.requiredString('prompt', profileRules(entry.profile).promptMaxLength, () =>
    missingParameter('prompt'),
  );
}

/**
 * A parameter of another model family is unknown to this one, as OpenAI answers it. A
 * dall-e-2 `quality` other than the documented `standard` (or `auto`) counts as foreign too.
 */
function rejectForeignParameters(fields: RequestFields, rules: ModelProfileRules): void {
  const quality = fields.raw('quality');
  const foreign = [
    ...(rules.gptParameters ? [] : GPT_ONLY_PARAMETERS.filter((name) => sendsGptParameter(fields, name))),
    ...(rules.styles.length === 0 && fields.has('style') ? ['style'] : []),
    ...(rules.foreignQualities && typeof quality === 'string' && !Object.hasOwn(rules.qualities, quality) ? ['quality'] : []),
  ];
  if (foreign[0] !== undefined) throw unknownParameter(foreign[0]);
}

function parseN(fields: RequestFields, rules: ModelProfileRules): number {
  const n = fields.integer('n', { min: 1, max: 10 }) ?? 1;
  if (n > rules.maxN) {
    throw new InvalidRequestError(`You must provide n=${rules.maxN} for this model.`, {
      param: 'n',
      code: 'invalid_value',
    });
  }
  return n;
}

function parseSize(fields: RequestFields, entry: ModelRegistryEntry, firstImage?: ImageSize) {
  const rules = profileRules(entry.profile);
  const raw = fields.string('size');
  const absent = rules.allowsAutoSize ? 'auto' : resolveAutoSize(entry.profile);
  const checked = raw === undefined ? absent : checkSize(entry.profile, raw);
  const autoSize = checked === 'auto';
  return { autoSize, ...(autoSize ? resolveAutoSize(entry.profile, firstImage) : checked) };
}

type GptOptions = Pick<
  NormalizedImageParams,
  'outputFormat' | 'outputCompression' | 'background' | 'moderation' | 'inputFidelity' | 'stream' | 'partialImages'
>;

function parseGptOptions(fields: RequestFields, rules: ModelProfileRules, operation: ImageOperation): GptOptions {
  const outputFormat = fields.oneOf('output_format', ['png', 'jpeg', 'webp'] as const) ?? 'png';
  const compression = fields.integer('output_compression', { min: 0, max: 100 });
  if (outputFormat === 'png' && compression !== undefined && compression < 100) {
    throw new InvalidRequestError(
      "Compression less than 100 is not supported for the 'png' output format; use 'jpeg' or 'webp'.",
      { param: 'output_compression', code: 'invalid_value' },
    );
  }
  const background = fields.oneOf('background', ['transparent', 'opaque', 'auto'] as const) ?? 'auto';
  if (background === 'transparent' && !rules.supportsTransparentBackground) {
    throw new InvalidRequestError("Transparent backgrounds are not supported by this model; use 'opaque' or 'auto'.", {
      param: 'background',
      code: 'invalid_value',
    });
  }
  if (background === 'transparent' && outputFormat === 'jpeg') {
    throw new InvalidRequestError("A transparent background needs an output_format with alpha: 'png' or 'webp'.", {
      param: 'background',
      code: 'invalid_value',
    });
  }
  const moderation = fields.oneOf('moderation', ['low', 'auto'] as const);
  const inputFidelity = fields.oneOf('input_fidelity', ['low', 'high'] as const);
  // OpenAI takes `partial_images` without `stream` and sends nothing more for it; it only shapes a stream.
  const partialImages = fields.integer('partial_images', { min: 0, max: 3 });
  const stream = fields.boolean('stream') === true;
  return {
    outputFormat,
    outputCompression: outputFormat === 'png' ? undefined : (compression ?? 100),
    // OpenAI echoes the background it used; an engine without a choice renders opaque.
    background: background === 'auto' ? 'opaque' : background,
    moderation: moderation ?? (operation === 'generation' ? 'auto' : undefined),
    inputFidelity: inputFidelity ?? (operation === 'edit' ? 'low' : undefined),
    ...(stream ? { stream: true, partialImages: partialImages ?? 0 } : {}),
  };
}

const DALL_E_OUTPUT: GptOptions = { outputFormat: 'png', background: 'opaque' };

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/**
 * Checks every shared parameter against the model's profile and fills OpenAI's defaults.
 * Unknown-field and prompt checks stay with each operation's validator.
 */
export function normalizeImageParams(
  fields: RequestFields,
  entry: ModelRegistryEntry,
  operation: ImageOperation,
  firstImage?: ImageSize,
): NormalizedRequest {
  const rules = profileRules(entry.profile);
  rejectForeignParameters(fields, rules);
  const n = parseN(fields, rules);
  const { autoSize, width, height } = parseSize(fields, entry, firstImage);
  const quality = fields.oneOf('quality', Object.keys(rules.qualities)) ?? rules.defaultQuality;
  const style = rules.styles.length > 0 ? (fields.oneOf('style', rules.styles) ?? 'vivid') : undefined;
  const responseFormat = fields.oneOf('response_format', ['url', 'b64_json'] as const) ?? rules.defaultResponseFormat;
  const output = rules.gptParameters ? parseGptOptions(fields, rules, operation) : DALL_E_OUTPUT;
  const params = withoutUndefined<NormalizedImageParams>({
    model: entry.id,
    profile: entry.profile,
    n,
    width,
    height,
    quality: rules.qualities[quality] ?? quality,
    style,
    responseFormat,
    ...output,
    // OpenAI documents no bound; without one a caller could store a megabyte in every job in Redis.
    user: fields.string('user', USER_MAX_LENGTH),
    seed: fields.integer('seed', { min: 0, max: Number.MAX_SAFE_INTEGER }),
  });
  return { params, autoSize };
}

/** Re-resolves an `auto` size once the first input image's dimensions are known. */
export function applyFirstImageSize<T extends NormalizedRequest>(request: T, firstImage: ImageSize): T {
  if (!request.autoSize) return request;
  const size = resolveAutoSize(request.params.profile, firstImage);
  return { ...request, params: { ...request.params, ...size } };
}
