import type { ModelRegistry, ModelRegistryEntry } from '../model-registry';

/** OpenAI's Models resource: `GET /v1/models` and `GET /v1/models/{id}`. */

export interface Model {
  id: string;
  object: 'model';
  /** Unix seconds. */
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: Model[];
}

export function toModel(entry: ModelRegistryEntry): Model {
  return { id: entry.id, object: 'model', created: entry.created, owned_by: entry.owned_by };
}

export function toModelList(registry: ModelRegistry): ModelList {
  return { object: 'list', data: registry.entries.map(toModel) };
}
