import type { RawImage } from '@imageforge/engine-core';

/**
 * A stream preview of a finished picture: each `block` x `block` square holds its
 * average colour, so early previews (larger blocks) show visibly less detail, as a
 * diffusion model's early steps do, at the picture's own size.
 */
export function pixelate(image: RawImage, block: number): RawImage {
  const { width, height, data } = image;
  const size = Math.max(1, Math.floor(block));
  const out = Buffer.alloc(data.length);
  for (let top = 0; top < height; top += size) {
    const bottom = Math.min(height, top + size);
    for (let left = 0; left < width; left += size) {
      const right = Math.min(width, left + size);
      const sum = [0, 0, 0, 0];
      for (let y = top; y < bottom; y++) {
        for (let x = left, i = (y * width + left) * 4; x < right; x++, i += 4) {
          sum[0]! += data[i]!;
          sum[1]! += data[i + 1]!;
          sum[2]! += data[i + 2]!;
          sum[3]! += data[i + 3]!;
        }
      }
      const count = (bottom - top) * (right - left);
      const mean = sum.map((channel) => Math.round(channel / count));
      for (let y = top; y < bottom; y++) {
        for (let x = left, i = (y * width + left) * 4; x < right; x++, i += 4) {
          out[i] = mean[0]!;
          out[i + 1] = mean[1]!;
          out[i + 2] = mean[2]!;
          out[i + 3] = mean[3]!;
        }
      }
    }
  }
  return { data: out, width, height };
}

/** Block edge of preview `partialIndex` of `count`: halves at each preview, the last one 8 px. */
export function previewBlockSize(partialIndex: number, count: number): number {
  return 2 ** (count - partialIndex + 2);
}
