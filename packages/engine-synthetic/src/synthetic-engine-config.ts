import { z } from 'zod';

/**
 * The `engine` object of a model registry entry served by the synthetic engine.
 * Parsed by the worker's engine factory; see SyntheticEngineOptions for each field.
 */
export const SyntheticEngineConfigSchema = z.strictObject({
  kind: z.literal('synthetic'),
  /** Simulated inference time per image, for exercising timeouts, stalls and shutdown. Default 0. */
  delayMsPerImage: z.number().int().nonnegative().optional(),
  /** Progress steps reported per image. Default 4. */
  steps: z.number().int().positive().optional(),
  /** `procedural` paints every image; `cached` serves one encoded picture per size and format (capacity tests). Default `procedural`. */
  render: z.enum(['procedural', 'cached']).optional(),
  /** Run one job at a time, as a GPU engine does, so pipelined workers can be measured without one. Default false. */
  exclusive: z.boolean().optional(),
});

export type SyntheticEngineConfig = z.infer<typeof SyntheticEngineConfigSchema>;
