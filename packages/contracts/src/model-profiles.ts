import type { ImageOperation, ModelProfile } from './image-params';

export interface ImageSize {
  width: number;
  height: number;
}

/** gpt-image-2 takes any WxH within these limits instead of a fixed list. */
export interface FreeSizeLimits {
  /** Both sides must be multiples of this. */
  multipleOf: number;
  maxEdge: number;
  /** Longest over shortest side. */
  maxAspectRatio: number;
  minPixels: number;
  maxPixels: number;
}

export interface ModelProfileRules {
  operations: readonly ImageOperation[];
  promptMaxLength: number;
  /** Largest `n`; dall-e-3 makes one image per request. */
  maxN: number;
  /** Fixed sizes in OpenAI's listing order, or free-size limits. */
  sizes: readonly string[] | FreeSizeLimits;
  allowsAutoSize: boolean;
  /** What `auto` (and an absent size on GPT models) resolves to, nearest aspect to the input image first. */
  autoSizes: readonly string[];
  /** Accepted `quality` values, each mapped to the concrete level that runs and is echoed. */
  qualities: Readonly<Record<string, string>>;
  defaultQuality: string;
  /**
   * OpenAI treats `quality` as another family's parameter here, answering unknown_parameter
   * for any value not in `qualities` (dall-e-2 documents only `standard`).
   */
  foreignQualities?: boolean;
  styles: readonly ('vivid' | 'natural')[];
  defaultResponseFormat: 'url' | 'b64_json';
  /** Takes output_format, background, moderation and the other GPT image parameters. */
  gptParameters: boolean;
  supportsTransparentBackground: boolean;
}

const GPT_STANDARD_SIZES = ['1024x1024', '1024x1536', '1536x1024'] as const;

/**
 * GPT `auto` quality runs as `high`: OpenAI echoes a concrete level in the response and
 * picks the best one for the model, which for a self-hosted engine is its full step count.
 */
const GPT_QUALITIES = { low: 'low', medium: 'medium', high: 'high', auto: 'high' };

const GPT_BASE = {
  promptMaxLength: 32000,
  maxN: 10,
  allowsAutoSize: true,
  autoSizes: GPT_STANDARD_SIZES,
  qualities: GPT_QUALITIES,
  defaultQuality: 'auto',
  styles: [],
  defaultResponseFormat: 'b64_json',
  gptParameters: true,
} as const;

/** OpenAI's per-family rules, as data; validators read nothing else. */
export const MODEL_PROFILE_RULES: Readonly<Record<ModelProfile, ModelProfileRules>> = {
  'dall-e-2': {
    operations: ['generation', 'edit', 'variation'],
    promptMaxLength: 1000,
    maxN: 10,
    sizes: ['256x256', '512x512', '1024x1024'],
    allowsAutoSize: false,
    autoSizes: ['1024x1024'],
    qualities: { standard: 'standard', auto: 'standard' },
    defaultQuality: 'standard',
    foreignQualities: true,
    styles: [],
    defaultResponseFormat: 'url',
    gptParameters: false,
    supportsTransparentBackground: false,
  },
  'dall-e-3': {
    operations: ['generation'],
    promptMaxLength: 4000,
    maxN: 1,
    sizes: ['1024x1024', '1024x1792', '1792x1024'],
    allowsAutoSize: false,
    autoSizes: ['1024x1024'],
    qualities: { standard: 'standard', hd: 'hd', auto: 'standard' },
    defaultQuality: 'standard',
    styles: ['vivid', 'natural'],
    defaultResponseFormat: 'url',
    gptParameters: false,
    supportsTransparentBackground: false,
  },
  'gpt-image': {
    ...GPT_BASE,
    operations: ['generation', 'edit'],
    sizes: GPT_STANDARD_SIZES,
    supportsTransparentBackground: true,
  },
  /**
   * OpenAI documents 3840x2160 as the largest size, enforced as a pixel budget: square
   * sizes up to 2880x2880 are accepted, and gpt-image-2 has no transparent backgrounds.
   */
  'gpt-image-2': {
    ...GPT_BASE,
    operations: ['generation', 'edit'],
    sizes: { multipleOf: 16, maxEdge: 3840, maxAspectRatio: 3, minPixels: 655_360, maxPixels: 8_294_400 },
    supportsTransparentBackground: false,
  },
};

export function profileRules(profile: ModelProfile): ModelProfileRules {
  return MODEL_PROFILE_RULES[profile];
}

/** GPT image models (gpt-image-1, -1-mini, -1.5, -2) as opposed to the DALL·E family. */
export function isGptProfile(profile: ModelProfile): boolean {
  return MODEL_PROFILE_RULES[profile].gptParameters;
}

/** Parameters only GPT image models take; sending one without `model` selects a GPT model. */
export const GPT_ONLY_PARAMETERS = [
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'input_fidelity',
  'partial_images',
  'stream',
] as const;

/** Model used when `model` is absent and nothing GPT-specific was sent. */
export const DEFAULT_DALL_E_MODEL = 'dall-e-2';
/** Model used when `model` is absent but a GPT-only parameter (or several edit images) was sent. */
export const DEFAULT_GPT_IMAGE_MODEL = 'gpt-image-1';
