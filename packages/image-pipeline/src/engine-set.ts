import type { EngineConfig, ModelRegistry, ModelRegistryEntry } from '@imageforge/contracts';
import type { EngineDescription, EngineRunOptions, ImageEngine } from '@imageforge/engine-core';
import { BatchCollector } from './batch-collector';
import { DeviceLock, timedOnDevice } from './device-lock';
import { createEngine, type EngineFactory } from './engine-factory';

/** One engine instance and the models it serves, as logged at startup. */
export interface EngineSetEntry {
  models: string[];
  config: EngineConfig;
  description: EngineDescription | null;
  /** How long building and loading it took, in seconds; null before it loaded. */
  loadSeconds: number | null;
}

interface Slot {
  key: string;
  config: EngineConfig;
  models: string[];
  engine?: ImageEngine;
  /** What jobs call: the engine itself, or behind its device's lock when it is exclusive. */
  runner?: ImageEngine;
  loadSeconds?: number;
}

export interface EngineSetOptions {
  /**
   * How long an idle device waits for more compatible generations to share a batch with the
   * first (engines with `batching` only); 0 turns batching off. Default 0.
   */
  batchWindowMs?: number;
}

/**
 * The engines one worker process holds: one instance per distinct engine config
 * among the models on the queues it serves, so two model ids backed by the same
 * weights share one loaded copy (GPU memory is the scarce resource).
 */
export class EngineSet {
  private readonly slots: Slot[] = [];
  private readonly slotByModel = new Map<string, Slot>();
  /** One per device an exclusive engine runs on, shared by every engine on it. */
  private readonly locks = new Map<string, DeviceLock>();

  constructor(
    models: readonly ModelRegistryEntry[],
    private readonly factory: EngineFactory = createEngine,
    private readonly options: EngineSetOptions = {},
  ) {
    const slotByKey = new Map<string, Slot>();
    for (const model of models) {
      const key = canonicalJson(model.engine);
      let slot = slotByKey.get(key);
      if (!slot) {
        slot = { key, config: model.engine, models: [] };
        slotByKey.set(key, slot);
        this.slots.push(slot);
      }
      slot.models.push(model.id);
      this.slotByModel.set(model.id, slot);
    }
  }

  /** The engines for every model routed to `queues`. */
  static forQueues(registry: ModelRegistry, queues: readonly string[], factory?: EngineFactory, options?: EngineSetOptions): EngineSet {
    return new EngineSet(
      queues.flatMap((queue) => registry.modelsOnQueue(queue)),
      factory,
      options,
    );
  }

  /**
   * Builds and loads every engine, one after another (loading two models at once
   * could exceed GPU memory that fits them in turn). Rejects with the first
   * engine's error, naming its models, after closing what was already loaded.
   */
  async loadAll(): Promise<void> {
    for (const slot of this.slots) {
      if (slot.engine) continue;
      let engine: ImageEngine | undefined;
      try {
        const began = performance.now();
        engine = await this.factory(slot.config);
        await engine.load();
        slot.engine = engine;
        slot.loadSeconds = (performance.now() - began) / 1000;
        slot.runner = this.runnerFor(engine);
      } catch (error) {
        await engine?.close().catch(() => undefined);
        await this.closeAll().catch(() => undefined);
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`engine ${slot.config.kind} for ${slot.models.join(', ')} failed to load: ${reason}`, { cause: error });
      }
    }
  }

  /** The loaded engine serving `modelId`; throws for a model this worker does not serve. */
  forModel(modelId: string): ImageEngine {
    const slot = this.slotByModel.get(modelId);
    if (!slot) throw new Error(`this worker serves no model ${JSON.stringify(modelId)} (serves: ${[...this.slotByModel.keys()].join(', ') || 'none'})`);
    if (!slot.runner) throw new Error(`engine for ${modelId} is not loaded (call loadAll first)`);
    return slot.runner;
  }

  /** The device locks of exclusive engines, by device: how long each device has been busy. */
  deviceLocks(): ReadonlyMap<string, DeviceLock> {
    return this.locks;
  }

  private runnerFor(engine: ImageEngine): ImageEngine {
    const { device, exclusive } = engine.describe();
    if (!exclusive) return engine;
    let lock = this.locks.get(device);
    if (!lock) {
      lock = new DeviceLock();
      this.locks.set(device, lock);
    }
    const windowMs = this.options.batchWindowMs ?? 0;
    return lockedEngine(engine, lock, engine.batching && windowMs > 0 ? new BatchCollector(engine, engine.batching, lock, windowMs) : undefined);
  }

  /** Model ids this set serves. */
  models(): string[] {
    return [...this.slotByModel.keys()];
  }

  describe(): EngineSetEntry[] {
    return this.slots.map((slot) => ({
      models: [...slot.models],
      config: slot.config,
      description: slot.engine?.describe() ?? null,
      loadSeconds: slot.engine ? (slot.loadSeconds ?? null) : null,
    }));
  }

  /** Closes every loaded engine; every close is attempted, the first failure is rethrown. */
  async closeAll(): Promise<void> {
    const loaded = this.slots.filter((slot) => slot.engine);
    const results = await Promise.allSettled(loaded.map((slot) => slot.engine!.close()));
    for (const slot of loaded) {
      delete slot.engine;
      delete slot.runner;
    }
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/**
 * The engine with each run taken in turn on its device, generations through `collector` when it
 * batches them; loading, describing and closing pass straight through.
 */
function lockedEngine(engine: ImageEngine, lock: DeviceLock, collector?: BatchCollector): ImageEngine {
  const held = <T>(options: EngineRunOptions, run: () => Promise<T>) => lock.run(options.signal, () => timedOnDevice(options, run));
  return {
    name: engine.name,
    load: () => engine.load(),
    close: () => engine.close(),
    describe: () => engine.describe(),
    generate: (request, options) => (collector ? collector.generate(request, options) : held(options, () => engine.generate(request, options))),
    edit: (request, options) => held(options, () => engine.edit(request, options)),
    variation: (request, options) => held(options, () => engine.variation(request, options)),
  };
}


/** JSON with sorted object keys, so `{a,b}` and `{b,a}` name the same engine. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
