import type { z } from 'zod';
import type { EngineConfig } from '@imageforge/contracts';
import type { ImageEngine } from '@imageforge/engine-core';
import { SyntheticEngine, SyntheticEngineConfigSchema } from '@imageforge/engine-synthetic';
import { UpstreamEngineConfigSchema, UpstreamImageEngine } from '@imageforge/engine-upstream';

/** What an engine may need from the process besides its registry block. */
export interface EngineFactoryContext {
  /** The environment the worker was configured from, where an `openai-upstream` entry's `apiKeyEnv` is read. Default: empty. */
  env?: Readonly<Record<string, string | undefined>>;
}

export type EngineFactory = (config: EngineConfig, context?: EngineFactoryContext) => Promise<ImageEngine>;

/**
 * Builds an engine (not yet loaded) from a registry entry's `engine` block; each
 * engine package owns the schema of its block. The onnx engine is imported only
 * when asked for, so a worker that serves no ONNX model never loads onnxruntime
 * and its native libraries.
 */
export const createEngine: EngineFactory = async (config, context = {}) => {
  switch (config.kind) {
    case 'synthetic': {
      const { kind: _kind, ...options } = parseEngineConfig(SyntheticEngineConfigSchema, config);
      return new SyntheticEngine(options);
    }
    case 'onnx': {
      const onnx = await import('@imageforge/engine-onnx');
      return onnx.createOnnxEngine(parseEngineConfig(onnx.OnnxEngineConfigSchema, config));
    }
    case 'comfyui': {
      const comfy = await import('@imageforge/engine-comfyui');
      return new comfy.ComfyUiEngine(parseEngineConfig(comfy.ComfyUiEngineConfigSchema, config));
    }
    case 'openai-upstream':
      return new UpstreamImageEngine({ config: parseEngineConfig(UpstreamEngineConfigSchema, config), env: context.env ?? {} });
    default:
      throw new Error(`unknown engine kind ${JSON.stringify(config.kind)} (known: synthetic, onnx, comfyui, openai-upstream)`);
  }
};

function parseEngineConfig<S extends z.ZodType>(schema: S, config: EngineConfig): z.infer<S> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  engine.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`invalid ${config.kind} engine config:\n${lines.join('\n')}`);
}
