import type { RawImage } from '@imageforge/engine-core';
import { between, type Random } from './seeded-random';

export interface VariationOptions {
  source: RawImage;
  random: Random;
  /** A painted picture of the same size, blended in lightly as new detail. */
  texture: Buffer;
  /** Keep the source's alpha; otherwise the variation is opaque. */
  transparent: boolean;
}

const TEXTURE_WEIGHT = 0.2;

/**
 * A seeded near-identity colour mix, a small shift and a light texture blend:
 * strongly correlated with the source, never identical, different per seed.
 */
export function paintVariation({ source, random, texture, transparent }: VariationOptions): Buffer {
  const { width, height, data } = source;
  const out = Buffer.alloc(data.length);
  const m = Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? 1 : 0) + between(random, -0.15, 0.15));
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m as [number, number, number, number, number, number, number, number, number];
  const offR = between(random, -20, 20);
  const offG = between(random, -20, 20);
  const offB = between(random, -20, 20);
  const maxShift = Math.max(1, Math.round(Math.min(width, height) * 0.02));
  const dx = Math.round(between(random, -maxShift, maxShift));
  const dy = Math.round(between(random, -maxShift, maxShift));
  const keep = 1 - TEXTURE_WEIGHT;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(height - 1, Math.max(0, y + dy));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.max(0, x + dx));
      const s = (sy * width + sx) * 4;
      const r = data[s]!;
      const g = data[s + 1]!;
      const b = data[s + 2]!;
      out[o] = clamp((m0 * r + m1 * g + m2 * b + offR) * keep + texture[o]! * TEXTURE_WEIGHT);
      out[o + 1] = clamp((m3 * r + m4 * g + m5 * b + offG) * keep + texture[o + 1]! * TEXTURE_WEIGHT);
      out[o + 2] = clamp((m6 * r + m7 * g + m8 * b + offB) * keep + texture[o + 2]! * TEXTURE_WEIGHT);
      out[o + 3] = transparent ? data[s + 3]! : 255;
      o += 4;
    }
  }
  return out;
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
