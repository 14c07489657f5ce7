import type { InferenceSession } from 'onnxruntime-node';
import { type HostTensor, outputMetadata, readFloat32, requireInput, toFloatTensor } from '../sessions/session-tensors';
import { type PipelineTimingHook, timed } from './pipeline-timing';

/** Pixels [1,3,H,W] in [-1, 1] ↔ scaled latents [1,4,H/8,W/8], one image per call to bound memory. */
export class VaeCodec {
  private readonly decoderInput;
  private readonly decoderOutput;
  private readonly encoderInput;
  private readonly encoderOutput;

  constructor(
    private readonly decoder: InferenceSession,
    private readonly encoder: InferenceSession | undefined,
    readonly scalingFactor: number,
  ) {
    this.decoderInput = requireInput(decoder, 'latent_sample', 'vae_decoder');
    this.decoderOutput = outputMetadata(decoder, ['sample'], 'vae_decoder').name;
    this.encoderInput = encoder ? requireInput(encoder, 'sample', 'vae_encoder') : undefined;
    // Current optimum exports give mean and log-variance (8 channels); older ones a 4-channel latent.
    this.encoderOutput = encoder ? outputMetadata(encoder, ['latent_parameters', 'latent_sample'], 'vae_encoder').name : undefined;
  }

  get canEncode(): boolean {
    return this.encoder !== undefined;
  }

  async decode(latents: HostTensor, timing?: PipelineTimingHook): Promise<HostTensor> {
    const scaled = new Float32Array(latents.data.length);
    const inverse = 1 / this.scalingFactor;
    for (let i = 0; i < scaled.length; i++) scaled[i] = latents.data[i]! * inverse;
    const feeds = { latent_sample: toFloatTensor(scaled, latents.dims, this.decoderInput.type) };
    const out = await timed(timing, 'onnx', 'vae_decoder', () => this.decoder.run(feeds));
    return readFloat32(out[this.decoderOutput], 'vae_decoder sample');
  }

  /** The distribution's mean, not a sample: img2img stays a function of the seed alone. */
  async encode(pixels: HostTensor, timing?: PipelineTimingHook): Promise<HostTensor> {
    if (!this.encoder || !this.encoderInput || !this.encoderOutput) {
      throw new Error('this model folder has no vae_encoder/model.onnx: variations and edits need one');
    }
    const feeds = { sample: toFloatTensor(pixels.data, pixels.dims, this.encoderInput.type) };
    const out = await timed(timing, 'onnx', 'vae_encoder', () => this.encoder!.run(feeds));
    const moments = readFloat32(out[this.encoderOutput], `vae_encoder ${this.encoderOutput}`);
    const [batch = 1, , h = 0, w = 0] = moments.dims;
    const channels = 4;
    const plane = channels * h * w;
    const stride = moments.dims[1]! * h * w;
    const data = new Float32Array(batch * plane);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < plane; i++) data[b * plane + i] = moments.data[b * stride + i]! * this.scalingFactor;
    }
    return { data, dims: [batch, channels, h, w] };
  }
}
