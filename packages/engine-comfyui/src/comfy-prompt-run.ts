import { setTimeout as sleep } from 'node:timers/promises';
import { EngineAbortedError } from '@imageforge/engine-core';
import { comfyExecutionError, comfyWorkflowFailure, type ComfyExecutionErrorData } from './comfy-errors';
import type { ComfyHistoryEntry, ComfyHttpClient } from './comfy-http-client';
import type { ComfyMessage, ComfyPreviewFormat, ComfySocket } from './comfy-socket';
import type { ApiWorkflow } from './workflow-template';

export interface PromptRunOptions {
  signal: AbortSignal;
  /** Sampler progress of the prompt: `value` of `max` steps. */
  onProgress?: (value: number, max: number) => void;
  /** A preview frame, after the progress message of its step. */
  onPreview?: (image: Buffer, format: ComfyPreviewFormat) => void;
}

export interface PromptRunContext {
  http: ComfyHttpClient;
  socket: ComfySocket;
  clientId: string;
  historyPollMs: number;
  historyTimeoutMs: number;
}

type Ending = { kind: 'done' } | { kind: 'lost'; reason: string } | { kind: 'failed'; error: Error } | { kind: 'aborted' };

/**
 * Queues one filled workflow and follows it to its history entry: by the websocket while it is
 * there, by polling `/history` (bounded) once it is gone. An abort interrupts the prompt when it
 * is the one running, or deletes it from the queue while it waits.
 */
export async function runPrompt(context: PromptRunContext, workflow: ApiWorkflow, options: PromptRunOptions): Promise<ComfyHistoryEntry> {
  const { http, socket } = context;
  const { signal } = options;
  if (signal.aborted) throw new EngineAbortedError();
  await socket.connect();
  const promptId = await http.queuePrompt(workflow, context.clientId);

  let settle!: (ending: Ending) => void;
  const ending = new Promise<Ending>((resolve) => (settle = resolve));
  const onAbort = () => settle({ kind: 'aborted' });
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const unfollow = socket.follow(promptId, {
    message: (message) => {
      const end = endingOf(message);
      if (end) settle(end);
      else if (message.type === 'progress') options.onProgress?.(Number(message.data.value), Number(message.data.max));
    },
    preview: (image, format) => options.onPreview?.(image, format),
    lost: (reason) => settle({ kind: 'lost', reason }),
  });
  try {
    const end = await ending;
    if (end.kind === 'aborted') throw await cancel(http, promptId);
    if (end.kind === 'failed') throw end.error;
    const entry = await pollHistory(context, promptId, signal);
    const failure = historyFailure(entry);
    if (failure) throw failure;
    return entry;
  } finally {
    unfollow();
    signal.removeEventListener('abort', onAbort);
  }
}

function endingOf(message: ComfyMessage): Ending | undefined {
  switch (message.type) {
    case 'executing':
      // Sent after ComfyUI wrote the history entry (`execution_success` comes before it).
      return message.data.node == null ? { kind: 'done' } : undefined;
    case 'execution_error':
      return { kind: 'failed', error: comfyExecutionError(message.data as ComfyExecutionErrorData) };
    case 'execution_interrupted':
      // Not ours (we stop listening once we abort): an old ComfyUI interrupts whatever runs.
      return { kind: 'failed', error: new Error('ComfyUI interrupted the prompt (another client asked it to)') };
    default:
      return undefined;
  }
}

/** Polls `/history` until the prompt has an entry; transient errors are retried until the deadline. */
async function pollHistory(context: PromptRunContext, promptId: string, signal: AbortSignal): Promise<ComfyHistoryEntry> {
  const deadline = Date.now() + context.historyTimeoutMs;
  let lastError: Error | undefined;
  // Starts short: an entry usually follows its end message within milliseconds.
  let wait = Math.min(25, context.historyPollMs);
  for (;;) {
    if (signal.aborted) throw await cancel(context.http, promptId);
    try {
      const entry = await context.http.history(promptId);
      if (entry && (entry.status?.completed !== false || entry.status.status_str === 'error')) return entry;
    } catch (error) {
      lastError = error as Error;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `: ${lastError.message}` : '';
      throw new Error(`ComfyUI prompt ${promptId} had no history after ${context.historyTimeoutMs} ms${why}`, { cause: lastError });
    }
    await sleep(wait, undefined, { signal }).catch(() => undefined);
    wait = Math.min(wait * 2, context.historyPollMs);
  }
}

function historyFailure(entry: ComfyHistoryEntry): Error | undefined {
  if (entry.status?.status_str !== 'error') return undefined;
  const messages = entry.status.messages ?? [];
  const error = messages.find(([type]) => type === 'execution_error');
  if (error) return comfyExecutionError(error[1] as ComfyExecutionErrorData);
  if (messages.some(([type]) => type === 'execution_interrupted')) return new Error('ComfyUI interrupted the prompt (another client asked it to)');
  return comfyWorkflowFailure('ComfyUI reports the prompt failed without an error message');
}

/**
 * Stops our prompt: interrupt only when it is the one running (an interrupt hits whatever
 * runs), delete it while pending, and look again after a delete in case it started meanwhile.
 */
async function cancel(http: ComfyHttpClient, promptId: string): Promise<EngineAbortedError> {
  try {
    for (let round = 0; round < 3; round++) {
      const queue = await http.queue();
      if (queue.running.includes(promptId)) {
        await http.interrupt(promptId);
        return new EngineAbortedError();
      }
      if (!queue.pending.includes(promptId)) return new EngineAbortedError();
      await http.deletePending(promptId);
    }
    return new EngineAbortedError(`engine run aborted; ComfyUI prompt ${promptId} could not be removed from its queue`);
  } catch (error) {
    return new EngineAbortedError(`engine run aborted; ComfyUI prompt ${promptId} may still run: ${(error as Error).message}`);
  }
}
