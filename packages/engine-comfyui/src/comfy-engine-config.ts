import { z } from 'zod';

/** A workflow in ComfyUI's API format (node id → `{class_type, inputs}`), inline or as the path of a JSON file. */
const WorkflowSourceSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/**
 * The `engine` object of a model registry entry served by a ComfyUI server. Parsed by the
 * worker's engine factory. Each workflow is a template whose `"{{placeholder}}"` values the
 * engine fills per run (see the package README for the names).
 */
export const ComfyUiEngineConfigSchema = z.object({
  kind: z.literal('comfyui'),
  /** Where ComfyUI listens, e.g. `http://127.0.0.1:8188`; a path prefix (behind a proxy) is kept. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  workflows: z.object({
    /** Text to image. Required. */
    generate: WorkflowSourceSchema,
    /** Image (and mask) to image; without it the model refuses edits. */
    edit: WorkflowSourceSchema.optional(),
    /** Image to image; without it the model refuses variations. */
    variation: WorkflowSourceSchema.optional(),
  }),
  /** Value of `{{steps}}`. Default 20. */
  steps: z.number().int().min(1).max(1000).default(20),
  /** Value of `{{negative_prompt}}`. Default empty. */
  negativePrompt: z.string().default(''),
  /** Value of `{{denoise}}` in variation workflows: how much of the input is re-noised, 0–1. Default 0.6. */
  variationDenoise: z.number().gt(0).max(1).default(0.6),
  /**
   * Output node ids whose images are the result. Default: every node that saved images of
   * type `output` (SaveImage), in node id order; previews (`temp`) never count.
   */
  outputNodes: z.array(z.string().min(1)).min(1).optional(),
  /** Limit for one HTTP call to ComfyUI, in ms. Default 30 s. */
  requestTimeoutMs: z.number().int().min(100).default(30_000),
  /** How often `/history` is polled while a prompt's websocket is gone, in ms. Default 500. */
  historyPollMs: z.number().int().min(10).default(500),
  /**
   * How long a prompt is followed through `/history` alone (websocket down, or its end message
   * lost) before the run fails as a fault, in ms. Default 10 min.
   */
  historyTimeoutMs: z.number().int().min(100).default(600_000),
});

export type ComfyUiEngineConfig = z.infer<typeof ComfyUiEngineConfigSchema>;
export type ComfyUiEngineConfigInput = z.input<typeof ComfyUiEngineConfigSchema>;
