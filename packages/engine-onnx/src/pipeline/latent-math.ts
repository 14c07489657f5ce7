import type { HostTensor } from '../sessions/session-tensors';

/** [n, 4, h, w] latents. */
export type LatentBatch = HostTensor;

/** The whole tensor `times` over, back to back (a source image per batch item, or the batch twice for guidance). */
export function repeatItem(tensor: HostTensor, times: number): Float32Array {
  const out = new Float32Array(tensor.data.length * times);
  for (let i = 0; i < times; i++) out.set(tensor.data, i * tensor.data.length);
  return out;
}

export function scaled(data: Float32Array, factor: number): Float32Array {
  if (factor === 1) return Float32Array.from(data);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * factor;
  return out;
}

/** Classifier-free guidance over a [uncond ×b, cond ×b] prediction: uncond + s·(cond − uncond). */
export function applyGuidance(predicted: Float32Array, scale: number): Float32Array {
  const half = predicted.length / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const uncond = predicted[i]!;
    out[i] = uncond + scale * (predicted[half + i]! - uncond);
  }
  return out;
}

/** Appends the shared mask and masked-image latents (5 channels) to each item's 4 latent channels. */
export function inpaintingSample(latents: Float32Array, extra: Float32Array, batch: number): Float32Array {
  const item = latents.length / batch;
  const out = new Float32Array(batch * (item + extra.length));
  for (let b = 0; b < batch; b++) {
    const at = b * (item + extra.length);
    out.set(latents.subarray(b * item, (b + 1) * item), at);
    out.set(extra, at + item);
  }
  return out;
}

/** mask·generated + (1 − mask)·kept, the [h*w] mask shared by every item and channel. */
export function blendKept(generated: Float32Array, kept: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  const planes = generated.length / plane;
  const out = new Float32Array(generated.length);
  for (let c = 0; c < planes; c++) {
    const base = c * plane;
    for (let p = 0; p < plane; p++) {
      const m = mask[p]!;
      out[base + p] = m * generated[base + p]! + (1 - m) * kept[base + p]!;
    }
  }
  return out;
}

export function concatItems(parts: LatentBatch[]): LatentBatch {
  const [, ...rest] = parts[0]?.dims ?? [0];
  const count = parts.reduce((sum, p) => sum + (p.dims[0] ?? 0), 0);
  const data = new Float32Array(parts.reduce((sum, p) => sum + p.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { data, dims: [count, ...rest] };
}
