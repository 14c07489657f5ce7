import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { type HostTensor, type TensorMetadata, outputMetadata, requireInput, toFloatTensor, toNumericTensor } from '../sessions/session-tensors';

/** What the UNet session declares, read once from its metadata: never guessed from a model name. */
export interface UNetSignature {
  sample: TensorMetadata;
  timestep: TensorMetadata;
  hiddenStates: TensorMetadata;
  /** Declared inputs beyond the three above (SDXL: `text_embeds`, `time_ids`), filled from conditioning extras. */
  extraInputs: TensorMetadata[];
  outputName: string;
  /** 4 for text-to-image UNets, 9 for inpainting ones (latents + mask + masked-image latents). */
  inChannels: number;
  /** Latent height/width when the export fixed them; absent when they are symbolic (any multiple of 8 in pixels). */
  fixedLatentSize?: { height: number; width: number };
}

const CORE_INPUTS = new Set(['sample', 'timestep', 'encoder_hidden_states']);

export function readUNetSignature(session: InferenceSession): UNetSignature {
  const sample = requireInput(session, 'sample', 'unet');
  const [, channels, height, width] = sample.shape;
  if (sample.shape.length !== 4 || typeof channels !== 'number') {
    throw new Error(`unet input sample should be [batch, channels, height, width] with fixed channels, got [${sample.shape.join(', ')}]`);
  }
  const extraInputs = session.inputMetadata.filter((m) => !CORE_INPUTS.has(m.name)) as TensorMetadata[];
  return {
    sample,
    timestep: requireInput(session, 'timestep', 'unet'),
    hiddenStates: requireInput(session, 'encoder_hidden_states', 'unet'),
    extraInputs,
    outputName: outputMetadata(session, ['out_sample'], 'unet').name,
    inChannels: channels,
    fixedLatentSize: typeof height === 'number' && typeof width === 'number' ? { height, width } : undefined,
  };
}

/**
 * Timestep dims from the declaration: a scalar, a fixed length, a length tied to the
 * sample's batch symbol, or (other symbols, as optimum's `steps`) one value broadcast.
 */
function timestepDims(signature: UNetSignature, batch: number): number[] {
  const shape = signature.timestep.shape;
  if (shape.length === 0) return [];
  const first = shape[0];
  if (typeof first === 'number') return [first];
  return first === signature.sample.shape[0] ? [batch] : [1];
}

export interface UNetStepInputs {
  /** [batch, inChannels, h, w] model input for this step. */
  sample: HostTensor;
  timestep: number;
  /** [batch, tokens, hidden], rows in the same order as the sample's. */
  hiddenStates: HostTensor;
  extras: Record<string, HostTensor>;
}

/** Feeds keyed by the names the session declares, in the dtypes it declares. */
export function buildUNetFeeds(signature: UNetSignature, inputs: UNetStepInputs): Record<string, Tensor> {
  const batch = inputs.sample.dims[0]!;
  const tDims = timestepDims(signature, batch);
  const feeds: Record<string, Tensor> = {
    sample: toFloatTensor(inputs.sample.data, inputs.sample.dims, signature.sample.type),
    timestep: toNumericTensor(inputs.timestep, tDims.reduce((a, b) => a * b, 1), tDims, signature.timestep.type),
    encoder_hidden_states: toFloatTensor(inputs.hiddenStates.data, inputs.hiddenStates.dims, signature.hiddenStates.type),
  };
  for (const extra of signature.extraInputs) {
    const value = inputs.extras[extra.name];
    if (!value) throw new Error(`unet declares input ${extra.name}, which this model's text conditioning does not provide`);
    feeds[extra.name] = toFloatTensor(value.data, value.dims, extra.type);
  }
  return feeds;
}
