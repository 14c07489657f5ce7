import { join } from 'node:path';
import type { OnnxEngineConfig } from '../config/onnx-engine-config';
import { readModelFolderConfig } from '../config/model-folder-config';
import { SeededNoise } from '../noise';
import { createScheduler, loadSchedulerConfig } from '../schedulers';
import { type ModelSessions, loadModelSessions, releaseModelSessions } from '../sessions/model-sessions';
import { ClipTokenizer } from '../tokenizer';
import { DiffusionPipeline } from './diffusion-pipeline';
import { ClipTextConditioning } from './text-conditioning';
import { readUNetSignature } from './unet-inputs';
import { type PreviewDecoder, choosePreviewDecoder } from './preview-decoder';
import { VaeCodec } from './vae-codec';

export type PipelineLoadConfig = Pick<OnnxEngineConfig, 'modelDir' | 'provider' | 'deviceId' | 'scheduler' | 'maxBatch'> &
  Partial<Pick<OnnxEngineConfig, 'previewDecoder'>>;

export interface LoadedPipeline {
  pipeline: DiffusionPipeline;
  sessions: ModelSessions;
  preview: PreviewDecoder;
}

/**
 * Reads a model folder and creates its sessions once. Folder files are checked before
 * any session is created, so a broken folder fails fast even on a GPU host.
 */
export async function loadDiffusionPipeline(config: PipelineLoadConfig): Promise<LoadedPipeline> {
  const { modelDir } = config;
  const folder = await readModelFolderConfig(modelDir);
  const tokenizer = await ClipTokenizer.fromModelDir(join(modelDir, 'tokenizer'));
  const schedulerConfig = await loadSchedulerConfig(join(modelDir, 'scheduler'));
  // Built once here so an unknown scheduler class fails load(), not the first job.
  createScheduler(schedulerConfig, config.scheduler);
  const sessions = await loadModelSessions(modelDir, config);
  try {
    const vae = new VaeCodec(sessions.vaeDecoder, sessions.vaeEncoder, folder.scalingFactor);
    const pipeline = new DiffusionPipeline({
      conditioning: new ClipTextConditioning(tokenizer, sessions.textEncoder),
      unet: sessions.unet,
      unetSignature: readUNetSignature(sessions.unet),
      vae,
      createScheduler: () => createScheduler(schedulerConfig, config.scheduler),
      createNoise: (seed) => new SeededNoise(seed),
      maxBatch: config.maxBatch,
    });
    return { pipeline, sessions, preview: choosePreviewDecoder(config.previewDecoder ?? 'auto', vae, sessions.previewDecoder) };
  } catch (error) {
    await releaseModelSessions(sessions);
    throw error;
  }
}
