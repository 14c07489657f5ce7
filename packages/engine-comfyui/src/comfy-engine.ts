import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '@imageforge/contracts';
import {
  encodeImage,
  probeImage,
  throwIfAborted,
  type EditRequest,
  type EncodedImage,
  type EngineCommonRequest,
  type EngineDescription,
  type EngineResult,
  type EngineRunOptions,
  type GenerateRequest,
  type ImageEngine,
  type RawImage,
  type VariationRequest,
} from '@imageforge/engine-core';
import type { ComfyUiEngineConfig } from './comfy-engine-config';
import { comfyWorkflowFailure } from './comfy-errors';
import { ComfyHttpClient, type ComfyHistoryEntry, type ComfyImageRef } from './comfy-http-client';
import { runPrompt, type PromptRunContext } from './comfy-prompt-run';
import { ComfySocket } from './comfy-socket';
import { PreviewPicker } from './preview-picker';
import { WorkflowTemplate, type PlaceholderValues } from './workflow-template';

type Operation = 'generate' | 'edit' | 'variation';
const OPERATION_NOUNS: Record<Operation, string> = { generate: 'generations', edit: 'edits', variation: 'variations' };

/** Outputs are ComfyUI's files, read for their header only; a bound keeps a broken server from handing over a bomb. */
const MAX_OUTPUT_PIXELS = 16_384 * 16_384;

export interface ComfyUiEngineOptions {
  /** The websocket client id; default a fresh uuid, so every engine instance (worker) hears only its own prompts. */
  clientId?: string;
}

/**
 * Runs a model as ComfyUI workflows: fills the operation's template, uploads inputs, queues it
 * with `POST /prompt`, follows progress and previews on one shared websocket, and returns the
 * saved files as they are (the worker re-encodes only when the format differs). `n` images
 * come from one prompt when the template has `{{batch_size}}`, else from `n` prompts with
 * consecutive seeds.
 */
export class ComfyUiEngine implements ImageEngine {
  readonly name = 'comfyui';
  private readonly clientId: string;
  private readonly http: ComfyHttpClient;
  private readonly socket: ComfySocket;
  private readonly templates = new Map<Operation, WorkflowTemplate>();

  constructor(
    private readonly config: ComfyUiEngineConfig,
    options: ComfyUiEngineOptions = {},
  ) {
    this.clientId = options.clientId ?? randomUUID();
    this.http = new ComfyHttpClient(config.baseUrl, config.requestTimeoutMs);
    const wsUrl = this.http.url('ws', { clientId: this.clientId });
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    this.socket = new ComfySocket(wsUrl, config.requestTimeoutMs);
  }

  /** Reads and checks the templates, then opens the websocket (a ComfyUI that cannot be reached fails the start). */
  async load(): Promise<void> {
    for (const operation of ['generate', 'edit', 'variation'] as const) {
      const source = this.config.workflows[operation];
      if (source !== undefined) this.templates.set(operation, await WorkflowTemplate.load(source, `comfyui ${operation} workflow`));
    }
    await this.socket.connect();
  }

  generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('generate', request, options, { prompt: request.prompt, denoise: 1 }, async () => ({}));
  }

  edit(request: EditRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('edit', request, options, { prompt: request.prompt, denoise: 1 }, async (template) => {
      const [image] = request.images;
      if (!image) throw new InvalidRequestError('an edit needs an input image', { param: 'image' });
      const inputs: Pick<PlaceholderValues, 'image' | 'mask'> = {};
      if (template.uses('image')) {
        inputs.image = await this.http.uploadImage(await pngOf(image), this.fileName('image'));
        // ComfyUI's convention is OpenAI's: alpha 0 is what LoadImage's MASK output repaints.
        if (request.mask) inputs.image = await this.http.uploadMask(await pngOf(request.mask), this.fileName('masked'), inputs.image);
      }
      if (template.uses('mask')) inputs.mask = await this.http.uploadImage(await pngOf(request.mask ?? image), this.fileName('mask'));
      return inputs;
    });
  }

  variation(request: VariationRequest, options: EngineRunOptions): Promise<EngineResult> {
    return this.run('variation', request, options, { prompt: '', denoise: this.config.variationDenoise }, async (template) =>
      template.uses('image') ? { image: await this.http.uploadImage(await pngOf(request.image), this.fileName('image')) } : {},
    );
  }

  describe(): EngineDescription {
    const source = this.config.workflows.generate;
    return {
      engine: this.name,
      model: typeof source === 'string' ? source : 'inline workflow',
      device: `comfyui ${new URL(this.config.baseUrl).host}`,
    };
  }

  async close(): Promise<void> {
    this.socket.close();
  }

  private async run(
    operation: Operation,
    request: EngineCommonRequest,
    options: EngineRunOptions,
    values: Pick<PlaceholderValues, 'prompt' | 'denoise'>,
    uploadInputs: (template: WorkflowTemplate) => Promise<Pick<PlaceholderValues, 'image' | 'mask'>>,
  ): Promise<EngineResult> {
    throwIfAborted(options.signal);
    const template = this.templates.get(operation);
    if (!template) throw new InvalidRequestError(`model ${request.model} does not support ${OPERATION_NOUNS[operation]}`, { param: 'model' });
    const inputs = await uploadInputs(template);
    const batched = template.uses('batch_size');
    const runs = batched ? 1 : request.n;
    const previews = new PreviewPicker(options.onPreview ? (request.partialImages ?? 0) : 0, options.onPreview);
    let lastStep = 0;
    const images: EncodedImage[] = [];
    for (let index = 0; index < runs; index++) {
      throwIfAborted(options.signal);
      const workflow = template.fill({
        ...values,
        ...inputs,
        negative_prompt: this.config.negativePrompt,
        // Consecutive seeds keep `n` separate runs distinct and each one reproducible.
        seed: request.seed + index,
        width: request.width,
        height: request.height,
        steps: this.config.steps,
        batch_size: batched ? request.n : 1,
      });
      const entry = await runPrompt(this.promptContext(), workflow, {
        signal: options.signal,
        onProgress: (value, max) => {
          previews.step(index, value, max);
          const step = index * max + value;
          if (step <= lastStep || step > runs * max) return;
          lastStep = step;
          options.onProgress?.({ step, total: runs * max });
        },
        onPreview: (image, format) => previews.offer(index, image, format),
      });
      images.push(...(await this.readOutputs(entry)));
    }
    await previews.drained();
    if (images.length < request.n) {
      throw comfyWorkflowFailure(`the ComfyUI ${operation} workflow saved ${images.length} image(s) for n=${request.n}`);
    }
    return { images: images.slice(0, request.n) };
  }

  private promptContext(): PromptRunContext {
    const { historyPollMs, historyTimeoutMs } = this.config;
    return { http: this.http, socket: this.socket, clientId: this.clientId, historyPollMs, historyTimeoutMs };
  }

  private async readOutputs(entry: ComfyHistoryEntry): Promise<EncodedImage[]> {
    const chosen = this.config.outputNodes;
    const nodes = chosen ?? Object.keys(entry.outputs).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const refs: ComfyImageRef[] = nodes.flatMap((node) => (entry.outputs[node]?.images ?? []).filter((image) => chosen || image.type === 'output'));
    return Promise.all(
      refs.map(async (ref) => {
        const data = await this.http.view(ref);
        const probe = await probeImage(data, { maxPixels: MAX_OUTPUT_PIXELS });
        return { kind: 'encoded', data, format: probe.format, width: probe.width, height: probe.height } satisfies EncodedImage;
      }),
    );
  }

  private fileName(role: string): string {
    return `imageforge-${role}-${randomUUID()}.png`;
  }
}

/** Inputs go up as png with their alpha, which is where a mask lives. */
async function pngOf(image: RawImage): Promise<Buffer> {
  return (await encodeImage(image, { format: 'png', background: 'transparent', fast: true })).data;
}
