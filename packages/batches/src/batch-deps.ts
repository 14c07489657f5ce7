import type { Readable } from 'node:stream';
import type { ImageJobPreparer, ImageRequestBuilder } from '@imageforge/image-service';
import type { ImageJobCatalog, JobGateway } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import type { BatchPhaseQueue } from './batch-phase-queue';
import type { BatchStore } from './batch-store';

/** The file a batch reads or writes, as the files package records it. */
export interface BatchFileRecord {
  id: string;
  owner: string;
  key: string;
  bytes: number;
  purpose: string;
  filename: string;
}

/** What batches need of the Files API's service. */
export interface BatchFiles {
  retrieve(owner: string, id: string): Promise<BatchFileRecord | null>;
  create(input: { id: string; owner: string; purpose: 'batch_output'; filename: string; body: Readable; expiresAfterSeconds?: number }): Promise<BatchFileRecord>;
  delete(owner: string, id: string): Promise<boolean>;
}

/** A batch event for the webhook outbox; emitting the same id twice delivers once. */
export interface BatchEventSink {
  emit(event: { id: string; type: 'batch.completed' | 'batch.failed' | 'batch.expired' | 'batch.cancelled'; createdAt: number; owner: string; data: { id: string } }): Promise<void>;
}

/** The image jobs of a batch's lines: added in bulk, read back, cancelled. */
export type LineJobs = Pick<JobGateway<ImageJobCatalog>, 'enqueueBulk' | 'read' | 'cancel'>;

/** Everything the phase handlers use, wired by the worker. */
export interface BatchPhaseDeps {
  store: BatchStore;
  files: BatchFiles;
  storage: ObjectStorage;
  requests: ImageRequestBuilder;
  preparer: ImageJobPreparer;
  lineJobs: LineJobs;
  phases: BatchPhaseQueue;
  events?: BatchEventSink;
  /** Lines turned into jobs per `addBulk`, for batches validated from now on. Default 500. */
  chunkSize?: number;
  /** How long a stop waits for an expansion in flight to notice it. Default 30 s. */
  stopWaitMs?: number;
  now?: () => number;
}

export const DEFAULT_CHUNK_SIZE = 500;
