import type { UNetSignature } from './unet-inputs';

export interface RunSize {
  width: number;
  height: number;
  /** True when the output must be resized back to the requested size. */
  resized: boolean;
}

const DEFAULT_NATIVE_SIZE = 512;

/**
 * The size the model runs at: the requested one when it is a multiple of 8 and the UNet's
 * spatial dims are symbolic; otherwise the model's native size (its fixed dims, else
 * `nativeSize`, else 512), with the output resized afterwards.
 */
export function chooseRunSize(width: number, height: number, unet: UNetSignature, nativeSize?: number): RunSize {
  const fixed = unet.fixedLatentSize;
  if (!fixed && width % 8 === 0 && height % 8 === 0) return { width, height, resized: false };
  const native = fixed
    ? { width: fixed.width * 8, height: fixed.height * 8 }
    : { width: nativeSize ?? DEFAULT_NATIVE_SIZE, height: nativeSize ?? DEFAULT_NATIVE_SIZE };
  return { ...native, resized: native.width !== width || native.height !== height };
}

/** Nearest-neighbour resize of a 0/1 pixel mask, so a mask stays binary at the run size. */
export function resizeMask(mask: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Uint8Array {
  if (width === toWidth && height === toHeight) return mask;
  const out = new Uint8Array(toWidth * toHeight);
  for (let y = 0; y < toHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / toHeight));
    for (let x = 0; x < toWidth; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / toWidth));
      out[y * toWidth + x] = mask[sy * width + sx]!;
    }
  }
  return out;
}
