import { isApiError, type NormalizedImageParams } from '@imageforge/contracts';
import {
  estimateImageTokenUsage,
  throwIfAborted,
  type EngineCommonRequest,
  type EngineResult,
  type EngineRunOptions,
  type ImageEngine,
  type RawImage,
} from '@imageforge/engine-core';
import { ApiErrorJobFailure, type ImageJobCatalog, type ImageJobPayload, type ImageJobResult, type JobContext, type JobHandlers, type JobLane, type PaceBook } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import { seedForJob } from './job-seed';
import { createProgressReporter } from './progress-reporter';
import { readInputImage } from './stored-inputs';
import { assertEngineOutput, storeOutputImages, storePartialImage, type PreviewEncoding } from './stored-outputs';

/** Where a handler finds the engine for a job's model; EngineSet implements it. */
export interface EngineLookup {
  forModel(modelId: string): ImageEngine;
}

export interface ImageJobHandlersOptions {
  /** Holds job inputs (read) and outputs (written). */
  storage: ObjectStorage;
  engines: EngineLookup;
  /** Largest width*height a stored input may have; bigger ones fail the job before decoding. */
  maxInputPixels: number;
  /** Unix milliseconds for `finishedAt`. Default: Date.now. */
  clock?: () => number;
  /** Where each model's measured seconds per image go, for the queue-time estimates polls show. */
  pace?: PaceBook;
  /** Size and quality of stream previews. Default: those of the final image. */
  previews?: PreviewEncoding;
  /** Told where each successful run spent its time (the worker's metrics). */
  onRunTimed?: (run: ImageRunTiming) => void;
}

/** Seconds one run spent in the engine and storing its outputs. */
export interface ImageRunTiming {
  model: string;
  lane: JobLane;
  engineSeconds: number;
  storeSeconds: number;
}

interface PreparedRun {
  prompt: string | undefined;
  /** Input images (mask excluded), for token accounting. */
  inputImages: RawImage[];
  infer(engine: ImageEngine, common: EngineCommonRequest, options: EngineRunOptions): Promise<EngineResult>;
}

/**
 * The worker's processors: read inputs from storage, run the model's engine,
 * store the encoded outputs, and return facts about what was made (keys, sizes,
 * tokens). Which of those facts a caller sees is the response renderer's business.
 * Faults (storage, engine) are thrown for the queue to retry; unusable inputs fail
 * the job for good; an aborted run rethrows so the job is cancelled or handed back.
 */
export function createImageJobHandlers(options: ImageJobHandlersOptions): JobHandlers<ImageJobCatalog> {
  const { storage, engines, maxInputPixels } = options;
  const clock = options.clock ?? Date.now;

  const readInput = (key: string, params: NormalizedImageParams) =>
    readInputImage(storage, key, { maxPixels: maxInputPixels, width: params.width, height: params.height });

  async function execute(payload: ImageJobPayload, context: JobContext, prepare: () => Promise<PreparedRun>): Promise<ImageJobResult> {
    const { params } = payload;
    const began = clock();
    const engine = engines.forModel(params.model);
    throwIfAborted(context.signal);
    const run = await prepare();
    throwIfAborted(context.signal);
    const progress = createProgressReporter(context.reportProgress);
    const wantsPreviews = params.stream === true && (params.partialImages ?? 0) > 0;
    // Previews are encoded and stored one after another while the engine goes on (it waits for
    // the callback, which only queues the work). Only the key reaches Redis; a stream reads the
    // bytes back from storage. A lost preview is not worth failing the image over.
    let previewsStored = Promise.resolve();
    const inferring = performance.now();
    // Reported by the device lock; the wall time around the call would count the wait in line too.
    let deviceMs: number | undefined;
    const result = await inferOrForward(run.infer(engine, commonRequest(params, context.jobId), {
      signal: context.signal,
      onProgress: progress.onEngineProgress,
      onDeviceTime: (ms) => (deviceMs = (deviceMs ?? 0) + ms),
      ...(wantsPreviews
        ? {
            onPreview: async (preview) => {
              previewsStored = previewsStored
                .then(() => storePartialImage(storage, context.jobId, preview, params, options.previews))
                .then((partial) => context.announcePartialImage(partial))
                .catch(() => undefined);
            },
          }
        : {}),
    }));
    const engineSeconds = (deviceMs ?? performance.now() - inferring) / 1000;
    await assertEngineOutput(result.images, params);
    const storing = performance.now();
    // Every partial is announced before the job can complete, so a stream sees them first.
    const [images] = await Promise.all([storeOutputImages(storage, context.jobId, result.images, params), previewsStored]);
    options.onRunTimed?.({ model: params.model, lane: payload.lane ?? 'interactive', engineSeconds, storeSeconds: (performance.now() - storing) / 1000 });
    await progress.finish();
    // Reading inputs and storing outputs count: they hold the slot as long as the engine does.
    await options.pace?.record(params.model, (clock() - began) / 1000 / Math.max(1, params.n));
    return {
      images,
      ...(result.revisedPrompt !== undefined ? { revisedPrompt: result.revisedPrompt } : {}),
      usage: result.usage ?? usageEstimate(params, run),
      finishedAt: clock(),
      engineSeconds,
    };
  }

  return {
    'image.generate': (payload, context) =>
      execute(payload, context, async () => ({
        prompt: payload.prompt,
        inputImages: [],
        infer: (engine, common, runOptions) => engine.generate({ ...common, prompt: payload.prompt }, runOptions),
      })),

    'image.edit': (payload, context) =>
      execute(payload, context, async () => {
        const [images, mask] = await Promise.all([
          Promise.all(payload.imageKeys.map((key) => readInput(key, payload.params))),
          payload.maskKey === undefined ? undefined : readInput(payload.maskKey, payload.params),
        ]);
        return {
          prompt: payload.prompt,
          inputImages: images,
          infer: (engine, common, runOptions) =>
            engine.edit({ ...common, prompt: payload.prompt, images, ...(mask ? { mask } : {}) }, runOptions),
        };
      }),

    'image.variation': (payload, context) =>
      execute(payload, context, async () => {
        const image = await readInput(payload.imageKey, payload.params);
        return {
          prompt: undefined,
          inputImages: [image],
          infer: (engine, common, runOptions) => engine.variation({ ...common, image }, runOptions),
        };
      }),
  };
}

/**
 * An engine throws an ApiError for an answer its caller should get as it is (an upstream's
 * 4xx): the job fails for good carrying that error, since running it again asks the same.
 */
async function inferOrForward(running: Promise<EngineResult>): Promise<EngineResult> {
  try {
    return await running;
  } catch (error) {
    if (!isApiError(error)) throw error;
    const { message, type, param, code } = error.toBody().error;
    throw new ApiErrorJobFailure({ status: error.status, type, message, param, code });
  }
}

function commonRequest(params: NormalizedImageParams, jobId: string): EngineCommonRequest {
  return {
    model: params.model,
    n: params.n,
    width: params.width,
    height: params.height,
    quality: params.quality,
    background: params.background,
    ...(params.style ? { style: params.style } : {}),
    seed: seedForJob(jobId, params.seed),
    output: { format: params.outputFormat, ...(params.outputCompression !== undefined ? { compression: params.outputCompression } : {}) },
    ...(params.stream && params.partialImages ? { partialImages: params.partialImages } : {}),
    ...(params.moderation ? { moderation: params.moderation } : {}),
    ...(params.inputFidelity ? { inputFidelity: params.inputFidelity } : {}),
    ...(params.user !== undefined ? { user: params.user } : {}),
  };
}

/** Inputs are counted at the size the engine saw them, which is what the model actually consumed. */
function usageEstimate(params: NormalizedImageParams, run: PreparedRun) {
  return estimateImageTokenUsage({
    prompt: run.prompt,
    n: params.n,
    width: params.width,
    height: params.height,
    quality: params.quality,
    inputImages: run.inputImages.map(({ width, height }) => ({ width, height })),
  });
}
