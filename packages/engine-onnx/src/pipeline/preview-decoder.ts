import type { RawImage } from '@imageforge/engine-core';
import type { InferenceSession } from 'onnxruntime-node';
import { type HostTensor, readFloat32, toFloatTensor } from '../sessions/session-tensors';
import { pixelsToRgba } from './image-tensors';
import { type PipelineTimingHook, timed } from './pipeline-timing';
import type { VaeCodec } from './vae-codec';

/**
 * Per latent channel, its R, G, B contribution for SD 1.x/2.x VAE latents (scaled, as the UNet
 * sees them), giving RGB in about [-1, 1]; no bias. Values from ComfyUI's comfy/latent_formats.py
 * (`SD15.latent_rgb_factors`), the same approximation A1111's "Approx cheap" preview uses.
 */
export const SD_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export type PreviewDecoderKind = 'tiny-autoencoder' | 'latent-rgb' | 'vae';

/** Turns one image's clean-latent estimate into a coarse picture, at whatever size it yields. */
export interface PreviewDecoder {
  readonly kind: PreviewDecoderKind;
  /** `latents` is [1,4,h,w], scaled as the UNet sees them. */
  decode(latents: HostTensor, timing?: PipelineTimingHook): Promise<RawImage>;
}

/** The linear latent→RGB projection at latent resolution (one pixel per latent pixel), opaque RGBA. */
export function projectLatentsToRgba(latents: HostTensor, factors: readonly (readonly number[])[] = SD_LATENT_RGB_FACTORS, bias: readonly number[] = [0, 0, 0]): RawImage {
  const [, channels = 0, height = 0, width = 0] = latents.dims;
  if (channels !== factors.length) throw new Error(`latent-to-RGB factors cover ${factors.length} channels, latents have ${channels}`);
  const plane = width * height;
  const data = Buffer.alloc(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let v = bias[c] ?? 0;
      for (let l = 0; l < channels; l++) v += latents.data[l * plane + p]! * factors[l]![c]!;
      const byte = (v + 1) * 127.5;
      data[p * 4 + c] = byte <= 0 ? 0 : byte >= 255 ? 255 : Math.round(byte);
    }
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

class LatentRgbPreview implements PreviewDecoder {
  readonly kind = 'latent-rgb';
  async decode(latents: HostTensor, timing?: PipelineTimingHook): Promise<RawImage> {
    return timed(timing, 'host', 'preview', () => projectLatentsToRgba(latents));
  }
}

/**
 * A TAESD-style decoder (diffusers' AutoencoderTiny decoder as optimum exports it): the UNet's
 * latents in (AutoencoderTiny's scaling factor is 1), [1,3,8h,8w] pixels in [-1, 1] out.
 * Its first input and output are used whatever their names.
 */
class TinyAutoencoderPreview implements PreviewDecoder {
  readonly kind = 'tiny-autoencoder';
  constructor(private readonly session: InferenceSession) {}
  async decode(latents: HostTensor, timing?: PipelineTimingHook): Promise<RawImage> {
    const input = this.session.inputMetadata[0];
    const output = this.session.outputNames[0];
    if (!input?.isTensor || output === undefined) throw new Error('preview decoder needs one tensor input and an output');
    const feeds = { [input.name]: toFloatTensor(latents.data, latents.dims, input.type) };
    const out = await timed(timing, 'onnx', 'preview_decoder', () => this.session.run(feeds));
    return pixelsToRgba(readFloat32(out[output], 'preview decoder output'));
  }
}

class VaePreview implements PreviewDecoder {
  readonly kind = 'vae';
  constructor(private readonly vae: VaeCodec) {}
  async decode(latents: HostTensor, timing?: PipelineTimingHook): Promise<RawImage> {
    return pixelsToRgba(await this.vae.decode(latents, timing));
  }
}

/** `vae` decodes previews fully; `auto` uses the folder's tiny decoder when it has one, else the linear projection. */
export function choosePreviewDecoder(mode: 'auto' | 'vae', vae: VaeCodec, tinyDecoder?: InferenceSession): PreviewDecoder {
  if (mode === 'vae') return new VaePreview(vae);
  return tinyDecoder ? new TinyAutoencoderPreview(tinyDecoder) : new LatentRgbPreview();
}
