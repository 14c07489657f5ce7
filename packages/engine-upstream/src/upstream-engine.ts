import {
  throwIfAborted,
  type EditRequest,
  type EngineDescription,
  type EngineResult,
  type EngineRunOptions,
  type GenerateRequest,
  type ImageEngine,
  type VariationRequest,
} from '@imageforge/engine-core';
import { UpstreamClient } from './upstream-client';
import { wireProfileOf, type UpstreamEngineConfig } from './upstream-engine-config';
import type { LimiterClock, UpstreamLimiter } from './upstream-limiter';
import { sharedUpstreamLimiters, type UpstreamLimiterRegistry } from './upstream-limiter-registry';
import { readImagesResponse } from './upstream-response';
import { editBody, generationBody, variationBody, type WireBody, type WireTarget } from './upstream-wire';

export interface UpstreamEngineOptions {
  config: UpstreamEngineConfig;
  /** Where `apiKeyEnv` is looked up: the environment the worker was configured from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Default: the process's registry, so every engine naming one upstream shares its limits. */
  limiters?: UpstreamLimiterRegistry;
  /** For tests of the waits. Default: the system clock. */
  clock?: LimiterClock;
}

/**
 * Relays generations, edits and variations to an OpenAI-compatible server. It holds no
 * weights: `load()` reads the key and joins the upstream's limiter. Its images come back
 * encoded, as the upstream made them. No previews: the upstream is asked for the whole
 * answer, so a stream of this model gets its final images only.
 */
export class UpstreamImageEngine implements ImageEngine {
  readonly name = 'openai-upstream';
  private readonly config: UpstreamEngineConfig;
  private readonly target: WireTarget;
  private client: UpstreamClient | undefined;
  private joined: { limiter: UpstreamLimiter; apiKey: string | undefined } | undefined;

  constructor(private readonly options: UpstreamEngineOptions) {
    this.config = options.config;
    this.target = { model: this.config.model, profile: wireProfileOf(this.config) };
  }

  async load(): Promise<void> {
    if (this.client) return;
    const apiKey = this.readKey();
    const registry = this.limiters();
    const limiter = registry.acquire(this.config.baseUrl, apiKey, {
      maxConcurrency: this.config.maxConcurrency,
      requestsPerMinute: this.config.requestsPerMinute,
    });
    this.joined = { limiter, apiKey };
    this.client = new UpstreamClient({
      baseUrl: this.config.baseUrl,
      apiKey,
      apiKeyHeader: this.config.apiKeyHeader,
      query: this.config.query,
      limiter,
      maxAttempts: this.config.maxAttempts,
      maxRetryWaitMs: this.config.maxRetryWaitMs,
      requestTimeoutMs: this.config.requestTimeoutMs,
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.joined) this.limiters().release(this.config.baseUrl, this.joined.apiKey);
    this.joined = undefined;
    this.client = undefined;
  }

  describe(): EngineDescription {
    return { engine: this.name, model: `${this.config.model} at ${this.config.baseUrl}`, device: 'remote' };
  }

  generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('/images/generations', request, options, async () => generationBody(request, this.target));
  }

  edit(request: EditRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('/images/edits', request, options, () => editBody(request, this.target));
  }

  variation(request: VariationRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('/images/variations', request, options, () => variationBody(request, this.target));
  }

  private async run(
    path: string,
    request: { width: number; height: number },
    options: EngineRunOptions,
    body: () => Promise<WireBody>,
  ): Promise<EngineResult> {
    throwIfAborted(options.signal);
    const client = this.client;
    if (!client) throw new Error('upstream engine is not loaded (call load first)');
    const wire = await body();
    const answer = await client.post(path, wire, options.signal);
    const result = await readImagesResponse(answer, request, client, options.signal);
    // One step: the upstream reports no progress of its own.
    options.onProgress?.({ step: 1, total: 1 });
    return result;
  }

  private readKey(): string | undefined {
    const name = this.config.apiKeyEnv;
    if (name === undefined) return undefined;
    const value = this.options.env[name];
    if (value === undefined || value.trim() === '') {
      throw new Error(`environment variable ${name} (engine.apiKeyEnv of the upstream ${this.config.baseUrl}) is not set`);
    }
    return value.trim();
  }

  private limiters(): UpstreamLimiterRegistry {
    return this.options.limiters ?? sharedUpstreamLimiters;
  }
}
