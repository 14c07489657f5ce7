export { OnnxImageEngine, createOnnxEngine, type OnnxEngineOptions } from './onnx-engine';
export {
  OnnxEngineConfigSchema,
  type OnnxEngineConfig,
  type OnnxEngineConfigInput,
  type ExecutionProviderKind,
} from './config/onnx-engine-config';
export { readModelFolderConfig, DEFAULT_SCALING_FACTOR, type ModelFolderConfig } from './config/model-folder-config';
export { ExecutionProviderUnavailableError, executionProviders, describeProvider } from './sessions/execution-provider';
export { loadModelSessions, releaseModelSessions, type ModelSessions } from './sessions/model-sessions';
export { float32ToFloat16, float16ToFloat32, float32ToFloat16Bits, float16BitsToFloat32 } from './sessions/float16';
export type { HostTensor } from './sessions/session-tensors';
export {
  DiffusionPipeline,
  type DiffusionPipelineParts,
  type DiffusionRequest,
  type DiffusionOutput,
  type PipelineRunOptions,
  type LatentPreview,
  previewStepIndices,
} from './pipeline/diffusion-pipeline';
export {
  SD_LATENT_RGB_FACTORS,
  projectLatentsToRgba,
  choosePreviewDecoder,
  type PreviewDecoder,
  type PreviewDecoderKind,
} from './pipeline/preview-decoder';
export { ClipTextConditioning, type TextConditioning, type Conditioning, type PromptTokenizer } from './pipeline/text-conditioning';
export { readUNetSignature, buildUNetFeeds, type UNetSignature } from './pipeline/unet-inputs';
export { VaeCodec } from './pipeline/vae-codec';
export type { PipelineTimingHook, TimingKind } from './pipeline/pipeline-timing';
export { ClipTokenizer } from './tokenizer';
export { SeededNoise } from './noise';
export { loadDiffusionPipeline, type LoadedPipeline, type PipelineLoadConfig } from './pipeline/load-pipeline';
