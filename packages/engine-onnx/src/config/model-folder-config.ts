import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** SD 1.x/2.x VAE latent scale; SDXL's VAE config says 0.13025. */
export const DEFAULT_SCALING_FACTOR = 0.18215;

export interface ModelFolderConfig {
  /** Latents = VAE mean × scalingFactor; the decoder gets latents ÷ scalingFactor. */
  scalingFactor: number;
  /** `_class_name` of model_index.json, for descriptions only: behaviour follows session metadata. */
  pipelineClass?: string;
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

export async function readModelFolderConfig(modelDir: string): Promise<ModelFolderConfig> {
  const vae = await readJsonIfPresent(join(modelDir, 'vae_decoder', 'config.json'));
  const index = await readJsonIfPresent(join(modelDir, 'model_index.json'));
  if (!index) throw new Error(`${modelDir} is not a diffusers/optimum model folder: model_index.json is missing`);
  const factor = vae?.scaling_factor;
  return {
    scalingFactor: typeof factor === 'number' && factor > 0 ? factor : DEFAULT_SCALING_FACTOR,
    pipelineClass: typeof index._class_name === 'string' ? index._class_name : undefined,
  };
}
