import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelProfileSchema, type ModelProfile } from './image-params';

/**
 * Engine settings are opaque here: the worker's engine factory parses them per `kind`,
 * so adding an engine never touches the API's contracts.
 */
export const EngineConfigSchema = z.looseObject({ kind: z.string().min(1) });
export type EngineConfig = z.infer<typeof EngineConfigSchema>;

export const ModelRegistryEntrySchema = z.strictObject({
  /** Public model id callers send as `model`. */
  id: z.string().min(1),
  /** Which OpenAI validation rules apply. */
  profile: ModelProfileSchema,
  /** BullMQ queue whose workers serve this model. */
  queue: z.string().regex(/^[A-Za-z0-9_-]+$/, 'queue names are letters, digits, _ and -').default('images'),
  engine: EngineConfigSchema.default({ kind: 'synthetic' }),
  owned_by: z.string().default('imageforge'),
  /** Unix seconds shown by /v1/models. */
  created: z.number().int().nonnegative().default(1_700_000_000),
});
export type ModelRegistryEntry = z.infer<typeof ModelRegistryEntrySchema>;

export const ModelRegistryFileSchema = z.strictObject({
  models: z.array(ModelRegistryEntrySchema).min(1),
});

export class ModelRegistry {
  private readonly byId: Map<string, ModelRegistryEntry>;

  constructor(readonly entries: readonly ModelRegistryEntry[]) {
    this.byId = new Map();
    for (const entry of entries) {
      if (this.byId.has(entry.id)) throw new Error(`model registry lists ${entry.id} twice`);
      this.byId.set(entry.id, entry);
    }
  }

  get(id: string): ModelRegistryEntry | undefined {
    return this.byId.get(id);
  }

  /** Every queue some model is routed to. */
  queues(): string[] {
    return [...new Set(this.entries.map((entry) => entry.queue))];
  }

  modelsOnQueue(queue: string): ModelRegistryEntry[] {
    return this.entries.filter((entry) => entry.queue === queue);
  }
}

const OPENAI_MODELS: Array<[string, ModelProfile, number]> = [
  ['dall-e-2', 'dall-e-2', 1698798177],
  ['dall-e-3', 'dall-e-3', 1698785189],
  ['gpt-image-1', 'gpt-image', 1745517030],
  ['gpt-image-1-mini', 'gpt-image', 1758845821],
  ['gpt-image-1.5', 'gpt-image', 1765929600],
  ['gpt-image-2', 'gpt-image-2', 1776211200],
  // The dated snapshot and the ChatGPT alias OpenAI's /v1/models also lists.
  ['gpt-image-2-2026-04-21', 'gpt-image-2', 1776729600],
  ['chatgpt-image-latest', 'gpt-image', 1765929600],
];

/** Built-in registry: every OpenAI image model name, served by the synthetic engine. */
export function defaultModelRegistry(): ModelRegistry {
  return new ModelRegistry(
    OPENAI_MODELS.map(([id, profile, created]) =>
      ModelRegistryEntrySchema.parse({ id, profile, created, queue: 'images', engine: { kind: 'synthetic' } }),
    ),
  );
}

/** Reads a registry JSON file (`{"models":[…]}`), reporting every bad field at once. */
export function loadModelRegistry(path: string | undefined): ModelRegistry {
  if (!path) return defaultModelRegistry();
  const parsed = ModelRegistryFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`invalid model registry ${path}:\n${lines.join('\n')}`);
  }
  return new ModelRegistry(parsed.data.models);
}
