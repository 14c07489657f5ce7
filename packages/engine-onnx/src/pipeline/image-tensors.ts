import type { RawImage } from '@imageforge/engine-core';
import type { HostTensor } from '../sessions/session-tensors';

/** RGBA bytes → [1,3,H,W] floats in [-1, 1], the VAE's pixel range; alpha is dropped. */
export function rgbaToPixels(image: RawImage): HostTensor {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = data[p * 4 + c]! / 127.5 - 1;
  }
  return { data: out, dims: [1, 3, height, width] };
}

/** Item `index` of a [B,3,H,W] tensor in [-1, 1] → opaque RGBA bytes. */
export function pixelsToRgba(pixels: HostTensor, index = 0): RawImage {
  const [, , height = 0, width = 0] = pixels.dims;
  const plane = width * height;
  const base = index * 3 * plane;
  const data = Buffer.alloc(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = (pixels.data[base + c * plane + p]! + 1) * 127.5;
      data[p * 4 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** OpenAI mask semantics: pixels whose alpha is 0 are repainted (1), all others kept (0). */
export function repaintMask(mask: RawImage): Uint8Array {
  const out = new Uint8Array(mask.width * mask.height);
  for (let p = 0; p < out.length; p++) out[p] = mask.data[p * 4 + 3] === 0 ? 1 : 0;
  return out;
}

export function countRepainted(mask: Uint8Array): number {
  let count = 0;
  for (const v of mask) count += v;
  return count;
}

/**
 * Pixel mask → latent mask: a latent is repainted when any pixel of its 8×8 block is,
 * so the generated region covers the mask; the final composite restores kept pixels exactly.
 */
export function latentMask(mask: Uint8Array, width: number, height: number): Float32Array {
  const lw = width / 8;
  const lh = height / 8;
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (mask[y * width + x]) out[Math.floor(y / 8) * lw + Math.floor(x / 8)] = 1;
  }
  return out;
}

/** The image with its repaint region set to 0 (mid grey), as inpainting UNets expect their masked image. */
export function maskPixels(pixels: HostTensor, mask: Uint8Array): HostTensor {
  const plane = mask.length;
  const data = Float32Array.from(pixels.data);
  for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) if (mask[p]) data[c * plane + p] = 0;
  return { data, dims: pixels.dims };
}

/** Generated pixels where the mask repaints, the original's bytes everywhere else. */
export function compositeKept(generated: RawImage, original: RawImage, mask: Uint8Array): RawImage {
  const data = Buffer.from(generated.data);
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) for (let c = 0; c < 3; c++) data[p * 4 + c] = original.data[p * 4 + c]!;
  }
  return { data, width: generated.width, height: generated.height };
}

/** Bilinear RGBA resize (pixel centres aligned), for models run at their native size and for previews. */
export function resizeRgba(image: RawImage, width: number, height: number): RawImage {
  if (image.width === width && image.height === height) return image;
  const data = Buffer.alloc(width * height * 4);
  const src = image.data;
  const rowBytes = image.width * 4;
  // Column taps once per resize rather than per pixel: previews upscale latent-sized images often.
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const weight = new Float64Array(width);
  const sx = image.width / width;
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
    const x0 = Math.floor(fx);
    left[x] = x0 * 4;
    right[x] = Math.min(x0 + 1, image.width - 1) * 4;
    weight[x] = fx - x0;
  }
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(fy);
    const top = y0 * rowBytes;
    const bottom = Math.min(y0 + 1, image.height - 1) * rowBytes;
    const wy = fy - y0;
    let out = y * width * 4;
    for (let x = 0; x < width; x++) {
      const l = left[x]!;
      const r = right[x]!;
      const wx = weight[x]!;
      for (let c = 0; c < 4; c++) {
        const t = src[top + l + c]! * (1 - wx) + src[top + r + c]! * wx;
        const b = src[bottom + l + c]! * (1 - wx) + src[bottom + r + c]! * wx;
        data[out++] = Math.round(t * (1 - wy) + b * wy);
      }
    }
  }
  return { data, width, height };
}
