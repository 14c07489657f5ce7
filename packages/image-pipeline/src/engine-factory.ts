import type { z } from 'zod';
import type { EngineConfig } from '@imageforge/contracts';
import type { ImageEngine } from '@imageforge/engine-core';
import { SyntheticEngine, SyntheticEngineConfigSchema } from '@imageforge/engine-synthetic';

export type EngineFactory = (config: EngineConfig) => Promise<ImageEngine>;

/**
 * Builds an engine (not yet loaded) from a registry entry's `engine` block; each
 * engine package owns the schema of its block. The onnx engine is imported only
 * when asked for, so a worker that serves no ONNX model never loads onnxruntime
 * and its native libraries.
 */
export const createEngine: EngineFactory = async (config) => {
  switch (config.kind) {
    case 'synthetic': {
      const { kind: _kind, ...options } = parseEngineConfig(SyntheticEngineConfigSchema, config);
      return new SyntheticEngine(options);
    }
    case 'onnx': {
      const onnx = await import('@imageforge/engine-onnx');
      return onnx.createOnnxEngine(parseEngineConfig(onnx.OnnxEngineConfigSchema, config));
    }
    default:
      throw new Error(`unknown engine kind ${JSON.stringify(config.kind)} (known: synthetic, onnx)`);
  }
};

function parseEngineConfig<S extends z.ZodType>(schema: S, config: EngineConfig): z.infer<S> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  engine.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`invalid ${config.kind} engine config:\n${lines.join('\n')}`);
}
