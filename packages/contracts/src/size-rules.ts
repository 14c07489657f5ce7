import { InvalidRequestError } from './api-errors';
import type { ModelProfile } from './image-params';
import { invalidValue } from './request-errors';
import { profileRules, type FreeSizeLimits, type ImageSize } from './model-profiles';

const SIZE_PATTERN = /^(\d{1,5})x(\d{1,5})$/;

export function parseSizeString(size: string): ImageSize | undefined {
  const match = SIZE_PATTERN.exec(size);
  if (!match) return undefined;
  return { width: Number(match[1]), height: Number(match[2]) };
}

function invalidFreeSize(size: string, reason: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid size '${size}'. ${reason}`, { param: 'size', code: 'invalid_value' });
}

function checkFreeSize(size: string, limits: FreeSizeLimits): ImageSize {
  const parsed = parseSizeString(size);
  if (!parsed || parsed.width === 0 || parsed.height === 0) {
    throw invalidFreeSize(size, "Expected 'auto' or WIDTHxHEIGHT in pixels, e.g. '1536x864'.");
  }
  const { width, height } = parsed;
  if (width % limits.multipleOf !== 0 || height % limits.multipleOf !== 0) {
    throw invalidFreeSize(size, `Width and height must both be divisible by ${limits.multipleOf}.`);
  }
  if (Math.max(width, height) > limits.maxEdge) {
    throw invalidFreeSize(size, `The longest edge must be at most ${limits.maxEdge} pixels.`);
  }
  if (Math.max(width, height) > limits.maxAspectRatio * Math.min(width, height)) {
    throw invalidFreeSize(
      size,
      `The aspect ratio must be between 1:${limits.maxAspectRatio} and ${limits.maxAspectRatio}:1.`,
    );
  }
  const pixels = width * height;
  if (pixels < limits.minPixels || pixels > limits.maxPixels) {
    throw invalidFreeSize(
      size,
      `The total pixel count must be between ${limits.minPixels} and ${limits.maxPixels} (at most 3840x2160), but got ${pixels}.`,
    );
  }
  return parsed;
}

/** A requested size checked against the profile: concrete pixels, or `auto` to resolve later. */
export function checkSize(profile: ModelProfile, size: string): ImageSize | 'auto' {
  const rules = profileRules(profile);
  if (size === 'auto' && rules.allowsAutoSize) return 'auto';
  if (Array.isArray(rules.sizes)) {
    if (!rules.sizes.includes(size)) {
      throw invalidValue('size', size, rules.allowsAutoSize ? [...rules.sizes, 'auto'] : rules.sizes);
    }
    return parseSizeString(size) as ImageSize;
  }
  return checkFreeSize(size, rules.sizes as FreeSizeLimits);
}

/**
 * `auto` becomes the profile's candidate size whose aspect ratio is nearest the first
 * input image's (compared on a log scale, so 2:1 and 1:2 are equally far from 1:1);
 * with no input image, the first candidate (1024x1024).
 */
export function resolveAutoSize(profile: ModelProfile, firstImage?: ImageSize): ImageSize {
  const candidates = profileRules(profile).autoSizes.map((size) => parseSizeString(size) as ImageSize);
  const fallback = candidates[0] as ImageSize;
  if (!firstImage || firstImage.width <= 0 || firstImage.height <= 0) return fallback;
  const target = Math.log(firstImage.width / firstImage.height);
  let best = fallback;
  for (const candidate of candidates) {
    const distance = Math.abs(Math.log(candidate.width / candidate.height) - target);
    if (distance < Math.abs(Math.log(best.width / best.height) - target)) best = candidate;
  }
  return best;
}
