import { z } from 'zod';
import { formatSize, type NormalizedImageParams } from '../image-params';
import { isGptProfile } from '../model-profiles';

/**
 * OpenAI's Images resource on the wire, after openai-node's `src/resources/images.ts`:
 * the request params as callers send them, the response and stream event shapes, and
 * the one renderer from what a worker made to what the caller receives.
 */

export type ImageOutputFormat = 'png' | 'jpeg' | 'webp';
export type ImageBackground = 'transparent' | 'opaque' | 'auto';

interface ImageParamsBase {
  model?: string | null;
  n?: number | null;
  response_format?: 'url' | 'b64_json' | null;
  size?: string | null;
  user?: string;
}

/** `POST /v1/images/generations` (JSON). */
export interface ImageGenerateParams extends ImageParamsBase {
  prompt: string;
  background?: ImageBackground | null;
  moderation?: 'low' | 'auto' | null;
  output_compression?: number | null;
  output_format?: ImageOutputFormat | null;
  partial_images?: number | null;
  quality?: 'standard' | 'hd' | 'low' | 'medium' | 'high' | 'auto' | null;
  stream?: boolean | null;
  style?: 'vivid' | 'natural' | null;
}

/** `POST /v1/images/edits`: multipart `image` / `image[]` / `mask` files, or JSON with `images` and `mask` references. */
export interface ImageEditParams extends ImageParamsBase {
  prompt: string;
  background?: ImageBackground | null;
  input_fidelity?: 'high' | 'low' | null;
  output_compression?: number | null;
  output_format?: ImageOutputFormat | null;
  partial_images?: number | null;
  quality?: 'standard' | 'low' | 'medium' | 'high' | 'auto' | null;
  stream?: boolean | null;
}

/** `POST /v1/images/variations` (multipart `image`, dall-e-2 only). */
export type ImageCreateVariationParams = ImageParamsBase;

const TokenDetailsSchema = z.object({
  text_tokens: z.number().int().nonnegative(),
  image_tokens: z.number().int().nonnegative(),
});

/** Token accounting of one call: what a worker counted, and what GPT image models report as `usage`. */
export const ImagesUsageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  input_tokens_details: TokenDetailsSchema,
  /** openai-node's `ImagesResponse.Usage.output_tokens_details`: optional there, always sent by our engines. */
  output_tokens_details: TokenDetailsSchema.optional(),
});
export type ImagesUsage = z.infer<typeof ImagesUsageSchema>;

/** One generated image: a link or the bytes, and dall-e-3's revised prompt. */
export interface Image {
  b64_json?: string;
  revised_prompt?: string;
  url?: string;
}

/** Body of a successful images call; the echoed settings and usage for GPT image models only. */
export interface ImagesResponse {
  created: number;
  data: Image[];
  background?: 'transparent' | 'opaque';
  output_format?: ImageOutputFormat;
  quality?: 'low' | 'medium' | 'high';
  size?: string;
  usage?: ImagesUsage;
}

interface ImageStreamEventBase {
  b64_json: string;
  background: ImageBackground;
  /** Unix seconds. */
  created_at: number;
  output_format: ImageOutputFormat;
  quality: 'low' | 'medium' | 'high' | 'auto';
  size: string;
}

export interface ImageGenPartialImageEvent extends ImageStreamEventBase {
  type: 'image_generation.partial_image';
  /** 0-based. */
  partial_image_index: number;
}

export interface ImageGenCompletedEvent extends ImageStreamEventBase {
  type: 'image_generation.completed';
  usage: ImagesUsage;
}

export interface ImageEditPartialImageEvent extends ImageStreamEventBase {
  type: 'image_edit.partial_image';
  partial_image_index: number;
}

export interface ImageEditCompletedEvent extends ImageStreamEventBase {
  type: 'image_edit.completed';
  usage: ImagesUsage;
}

/** `stream: true` frames: the SDK reads `type` from each frame's data, not the SSE event name. */
export type ImageGenStreamEvent = ImageGenPartialImageEvent | ImageGenCompletedEvent;
export type ImageEditStreamEvent = ImageEditPartialImageEvent | ImageEditCompletedEvent;

/** What a finished job tells the renderer: facts about the run, never presentation choices. */
export interface ImageRunFacts {
  /** Unix milliseconds the outputs were ready. */
  finishedAt: number;
  /** The engine's own rewrite of the prompt, when it made one. */
  revisedPrompt?: string;
  /** Tokens in and out, as counted by the engine or estimated by the worker. */
  usage?: ImagesUsage;
}

export interface ImagesResponseInput {
  params: NormalizedImageParams;
  /** The caller's prompt; dall-e-3 reports it as the revised prompt when the engine revised nothing. */
  prompt?: string;
  facts: ImageRunFacts;
  /** One entry per output image, in order: its link or its bytes, as `response_format` asked. */
  data: ReadonlyArray<{ url: string } | { b64_json: string }>;
}

/**
 * The one place OpenAI's response rules live: `revised_prompt` on dall-e-3 only;
 * `background`, `output_format`, `quality`, `size` and `usage` on GPT image models only.
 */
export function toImagesResponse({ params, prompt, facts, data }: ImagesResponseInput): ImagesResponse {
  const revisedPrompt = params.profile === 'dall-e-3' ? (facts.revisedPrompt ?? prompt) : undefined;
  const response: ImagesResponse = {
    created: Math.floor(facts.finishedAt / 1000),
    data: data.map((datum) => (revisedPrompt === undefined ? { ...datum } : { ...datum, revised_prompt: revisedPrompt })),
  };
  if (!isGptProfile(params.profile)) return response;
  Object.assign(response, echoedSettings(params));
  if (facts.usage) response.usage = facts.usage;
  return response;
}

/** What GPT image models echo of the request, in a response body and in every stream event. */
function echoedSettings(params: NormalizedImageParams) {
  return {
    background: params.background === 'transparent' ? ('transparent' as const) : ('opaque' as const),
    output_format: params.outputFormat,
    quality: params.quality as NonNullable<ImagesResponse['quality']>,
    size: formatSize(params.width, params.height),
  };
}

/** Which endpoint a stream answers: its events are named after it. */
export type ImageStreamOperation = 'generation' | 'edit';

const STREAM_EVENT_PREFIX: Record<ImageStreamOperation, 'image_generation' | 'image_edit'> = {
  generation: 'image_generation',
  edit: 'image_edit',
};

export interface ImagePartialEventInput {
  operation: ImageStreamOperation;
  params: NormalizedImageParams;
  /** The stored preview, base64. */
  b64_json: string;
  /** 0-based among the previews of one image. */
  partialIndex: number;
  /** Unix milliseconds the preview was sent. */
  createdAt: number;
}

/** One `*.partial_image` frame. */
export function toImagePartialEvent(input: ImagePartialEventInput): ImageGenPartialImageEvent | ImageEditPartialImageEvent {
  const type = `${STREAM_EVENT_PREFIX[input.operation]}.partial_image` as const;
  return {
    type,
    b64_json: input.b64_json,
    created_at: Math.floor(input.createdAt / 1000),
    ...echoedSettings(input.params),
    partial_image_index: input.partialIndex,
  } as ImageGenPartialImageEvent | ImageEditPartialImageEvent;
}

/**
 * The `*.completed` frames of a finished stream, one per image, from the body
 * `toImagesResponse` made (with `b64_json` data): each carries the call's usage,
 * since OpenAI reports usage per call and not per image.
 */
export function toImageCompletedEvents(
  operation: ImageStreamOperation,
  response: ImagesResponse,
): Array<ImageGenCompletedEvent | ImageEditCompletedEvent> {
  const type = `${STREAM_EVENT_PREFIX[operation]}.completed` as const;
  const zero = { text_tokens: 0, image_tokens: 0 };
  const usage = response.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0, input_tokens_details: zero };
  return response.data.map(
    (datum) =>
      ({
        type,
        b64_json: datum.b64_json ?? '',
        created_at: response.created,
        background: response.background ?? 'opaque',
        output_format: response.output_format ?? 'png',
        quality: response.quality ?? 'auto',
        size: response.size ?? 'auto',
        usage,
      }) as ImageGenCompletedEvent | ImageEditCompletedEvent,
  );
}
