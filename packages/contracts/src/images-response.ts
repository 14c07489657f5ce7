import { formatSize, type NormalizedImageParams } from './image-params';
import { isGptProfile } from './model-profiles';
import type { ModelRegistry, ModelRegistryEntry } from './model-registry';

/** One generated image, as openai-node's `Image`. */
export interface ImageObject {
  url?: string;
  b64_json?: string;
  /** dall-e-3 only. */
  revised_prompt?: string;
}

export interface ImagesUsage {
  total_tokens: number;
  input_tokens: number;
  output_tokens: number;
  input_tokens_details: { text_tokens: number; image_tokens: number };
  output_tokens_details?: { text_tokens: number; image_tokens: number };
}

/** Body of a successful images call; the echoed fields and usage only for GPT image models. */
export interface ImagesResponse {
  created: number;
  data: ImageObject[];
  background?: 'transparent' | 'opaque';
  output_format?: 'png' | 'jpeg' | 'webp';
  quality?: 'low' | 'medium' | 'high';
  size?: string;
  usage?: ImagesUsage;
}

export type ImagesResponseEcho = Pick<ImagesResponse, 'background' | 'output_format' | 'quality' | 'size'>;

/** The fields OpenAI echoes for GPT image models (none for dall-e). */
export function imagesResponseEcho(params: NormalizedImageParams): ImagesResponseEcho {
  if (!isGptProfile(params.profile)) return {};
  return {
    background: params.background === 'transparent' ? 'transparent' : 'opaque',
    output_format: params.outputFormat,
    quality: params.quality as ImagesResponseEcho['quality'],
    size: formatSize(params.width, params.height),
  };
}

/** An entry of `GET /v1/models`. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

export function toModelObject(entry: ModelRegistryEntry): ModelObject {
  return { id: entry.id, object: 'model', created: entry.created, owned_by: entry.owned_by };
}

export function toModelList(registry: ModelRegistry): ModelList {
  return { object: 'list', data: registry.entries.map(toModelObject) };
}
