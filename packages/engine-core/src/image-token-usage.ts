import type { ImagesUsage } from '@imageforge/contracts';

/**
 * OpenAI-style token accounting for GPT image models, so usage reports look like
 * the real API's. Output tokens follow OpenAI's published per-image table; other
 * sizes scale by area.
 */

const OUTPUT_TOKENS_1024_SQUARE: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

// Published figures for the non-square sizes, which are tile-based rather than proportional.
const OUTPUT_TOKENS_BY_SIZE: Record<string, Record<string, number>> = {
  '1024x1536': { low: 408, medium: 1584, high: 6240 },
  '1536x1024': { low: 400, medium: 1568, high: 6208 },
};

/** dall-e quality names and `auto` mapped onto the GPT levels. */
function qualityLevel(quality: string): 'low' | 'medium' | 'high' {
  if (quality === 'low' || quality === 'medium' || quality === 'high') return quality;
  if (quality === 'hd' || quality === 'auto') return 'high';
  return 'medium';
}

export function outputImageTokens(width: number, height: number, quality: string): number {
  const level = qualityLevel(quality);
  const known = OUTPUT_TOKENS_BY_SIZE[`${width}x${height}`]?.[level];
  if (known !== undefined) return known;
  const base = OUTPUT_TOKENS_1024_SQUARE[level] ?? OUTPUT_TOKENS_1024_SQUARE.medium!;
  return Math.max(1, Math.round((base * width * height) / (1024 * 1024)));
}

/**
 * Input image tokens the way OpenAI's vision models count them: fit within
 * 2048x2048, scale the short side down to 768, then 170 tokens per 512px tile plus 85.
 */
export function inputImageTokens(width: number, height: number): number {
  let scale = Math.min(1, 2048 / Math.max(width, height));
  scale *= Math.min(1, 768 / (Math.min(width, height) * scale));
  const tiles = Math.ceil((width * scale) / 512) * Math.ceil((height * scale) / 512);
  return 85 + 170 * tiles;
}

export function textTokens(prompt: string): number {
  return Math.ceil(prompt.length / 4);
}

export interface ImageUsageInput {
  prompt?: string;
  n: number;
  width: number;
  height: number;
  quality: string;
  /** Sizes of the input images (edits, variations), mask excluded. */
  inputImages?: ReadonlyArray<{ width: number; height: number }>;
}

export function estimateImageTokenUsage(input: ImageUsageInput): ImagesUsage {
  const text = textTokens(input.prompt ?? '');
  const image = (input.inputImages ?? []).reduce((sum, img) => sum + inputImageTokens(img.width, img.height), 0);
  const output = outputImageTokens(input.width, input.height, input.quality) * input.n;
  return {
    input_tokens: text + image,
    output_tokens: output,
    total_tokens: text + image + output,
    input_tokens_details: { text_tokens: text, image_tokens: image },
    // Everything a GPT image model outputs is image tokens; OpenAI still reports the split.
    output_tokens_details: { image_tokens: output, text_tokens: 0 },
  };
}
