import { InternalError } from '@imageforge/contracts';

/** What ComfyUI reports about a failed node, in `execution_error` messages and `/history` status. */
export interface ComfyExecutionErrorData {
  prompt_id?: string;
  node_id?: string;
  node_type?: string;
  exception_message?: string;
  exception_type?: string;
}

/**
 * Failures no retry fixes are OpenAI-shaped errors, which the worker records as the job's
 * final answer; anything else an engine throws is a fault the queue retries.
 */
export function comfyWorkflowFailure(message: string): InternalError {
  return new InternalError(message, { code: 'engine_workflow_failed' });
}

/**
 * A node of the workflow failed on this prompt. Permanent (the same graph fails the same way),
 * except for an out-of-memory error, which another run on a less busy box may not hit.
 */
export function comfyExecutionError(data: ComfyExecutionErrorData): Error {
  const where = [data.node_type, data.node_id !== undefined ? `node ${data.node_id}` : undefined].filter(Boolean).join(' ');
  const message = `ComfyUI ${where ? `${where} ` : ''}failed: ${(data.exception_message ?? 'unknown error').trim()}`;
  if (/OutOfMemory/i.test(data.exception_type ?? '') || /out of memory/i.test(data.exception_message ?? '')) return new Error(message);
  return comfyWorkflowFailure(message);
}

/** `POST /prompt` answered 400: the filled workflow is not a graph this ComfyUI can run. */
export function comfyPromptRejected(body: unknown): InternalError {
  const record = (body ?? {}) as { error?: { message?: string; details?: string } | string; node_errors?: Record<string, NodeError> };
  const error = typeof record.error === 'string' ? record.error : [record.error?.message, record.error?.details].filter(Boolean).join(': ');
  const nodes = Object.entries(record.node_errors ?? {}).map(([id, node]) => {
    const reasons = (node.errors ?? []).map((reason) => [reason.message, reason.details].filter(Boolean).join(': ')).join('; ');
    return `${node.class_type ?? 'node'} ${id}: ${reasons || 'invalid'}`;
  });
  return comfyWorkflowFailure(`ComfyUI refused the workflow: ${[error || 'invalid prompt', ...nodes].join('; ')}`);
}

interface NodeError {
  class_type?: string;
  errors?: { message?: string; details?: string }[];
}
