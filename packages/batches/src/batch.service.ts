import {
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  toCursorList,
  type Batch,
  type BatchCreateParams,
  type CursorList,
} from '@imageforge/contracts';
import type { BatchFiles } from './batch-deps';
import { isBatchId, newBatchId } from './batch-ids';
import type { BatchPhaseQueue } from './batch-phase-queue';
import type { BatchRecord } from './batch-record';
import type { BatchStore } from './batch-store';
import { toBatchObject } from './batch.view';

/** 24 h, OpenAI's only completion window. */
export const DEFAULT_COMPLETION_WINDOW_SECONDS = 24 * 3600;

export interface BatchServiceDeps {
  store: BatchStore;
  files: Pick<BatchFiles, 'retrieve'>;
  phases: BatchPhaseQueue;
  /** Seconds from creation to expiry; only tests shorten it. */
  completionWindowSeconds?: number;
  now?: () => number;
}

/** What `/v1/batches` does: create, read, list and cancel a key's batches. */
export class BatchService {
  private readonly now: () => number;

  constructor(private readonly deps: BatchServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(owner: string, params: BatchCreateParams): Promise<Batch> {
    const file = await this.deps.files.retrieve(owner, params.input_file_id);
    if (!file) {
      throw new NotFoundError(`No such File object: ${params.input_file_id}`, { param: 'input_file_id', code: 'file_not_found' });
    }
    if (file.purpose !== 'batch') {
      throw new InvalidRequestError(
        `Invalid 'input_file_id': file ${file.id} was uploaded with purpose '${file.purpose}'; a batch reads a file uploaded with purpose 'batch'.`,
        { param: 'input_file_id', code: 'invalid_value' },
      );
    }
    const nowMs = this.now();
    const createdAt = Math.floor(nowMs / 1000);
    const windowSeconds = this.deps.completionWindowSeconds ?? DEFAULT_COMPLETION_WINDOW_SECONDS;
    const record: BatchRecord = {
      id: newBatchId(),
      owner,
      endpoint: params.endpoint,
      inputFileId: file.id,
      completionWindow: params.completion_window,
      status: 'validating',
      model: null,
      metadata: params.metadata,
      errors: null,
      outputFileId: null,
      errorFileId: null,
      outputExpiresAfterSeconds: params.outputExpiresAfterSeconds ?? null,
      createdAt,
      inProgressAt: null,
      expiresAt: createdAt + windowSeconds,
      finalizingAt: null,
      completedAt: null,
      failedAt: null,
      expiredAt: null,
      cancellingAt: null,
      cancelledAt: null,
      total: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      inputTokens: 0,
      outputTokens: 0,
      chunkSize: 0,
      linesExpanded: 0,
      expandDone: false,
      stop: null,
    };
    // Phases first: a process that dies after queuing them but before the record exists leaves a
    // validation that finds no batch and gives up, never a batch that nothing would ever run.
    await this.deps.phases.validate(record.id);
    await this.deps.phases.stop(record.id, 'expire', windowSeconds * 1000);
    await this.deps.store.create(record);
    return toBatchObject(record);
  }

  async retrieve(owner: string, id: string): Promise<Batch> {
    return toBatchObject(await this.owned(owner, id));
  }

  async list(owner: string, page: { limit: number; after?: string }): Promise<CursorList<Batch>> {
    const { data, hasMore } = await this.deps.store.list(owner, page);
    return toCursorList(data.map(toBatchObject), hasMore);
  }

  /** Queued lines are removed, running ones aborted, finished ones kept; `cancelling` until they are all accounted for. */
  async cancel(owner: string, id: string): Promise<Batch> {
    const record = await this.owned(owner, id);
    if (record.status === 'cancelling' || record.status === 'cancelled') return toBatchObject(record);
    const moved = await this.deps.store.transition(id, ['validating', 'in_progress'], {
      status: 'cancelling',
      cancellingAt: Math.floor(this.now() / 1000),
      stop: 'cancel',
    });
    const current = (await this.deps.store.get(id)) ?? record;
    if (!moved && current.status !== 'cancelling') {
      throw new ConflictError(`Cannot cancel a batch with status '${current.status}'.`, { code: 'batch_not_cancellable' });
    }
    await this.deps.phases.stop(id, 'cancel');
    return toBatchObject(current);
  }

  private async owned(owner: string, id: string): Promise<BatchRecord> {
    const record = isBatchId(id) ? await this.deps.store.getOwned(owner, id) : null;
    if (!record) throw new NotFoundError(`No batch found with id '${id}'.`, { param: 'batch_id', code: 'batch_not_found' });
    return record;
  }
}
