import { isFinalStatus, type FinalJobStatus, type JobEvent, type JobEventSource, type JobStatus } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import type { ImageJobQueryService } from './image-job-query.service';
import type { ImageJobObject } from './image-job.view';

export type ImageJobFrameEvent = JobEvent['type'];

/** One server-sent event of a job's live view. */
export interface ImageJobFrame {
  event: ImageJobFrameEvent;
  data: unknown;
}

export interface ImageJobWatchDeps {
  jobs: ImageJobQueryService;
  events: Pick<JobEventSource, 'subscribeJob'>;
  storage: ObjectStorage;
  urlTtlSeconds: number;
  /** How often the record is read again, in case an ending event was lost. Default 3 000 ms. */
  recheckMs?: number;
}

export interface ImageJobWatchRequest {
  jobId: string;
  owner: string;
  /** Send `partial_image` frames (signed links to the stored previews). */
  partialImages: boolean;
  /** Aborted when the reader hangs up: the watch stops; the job is untouched. */
  signal: AbortSignal;
  /** Resolves once the frame is written (or the reader is gone). */
  send(frame: ImageJobFrame): Promise<void>;
}

const FINAL_EVENT: Record<FinalJobStatus, ImageJobFrameEvent> = {
  succeeded: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
};

const openingEvent = (status: JobStatus): ImageJobFrameEvent =>
  isFinalStatus(status) ? FINAL_EVENT[status] : status === 'queued' ? 'queued' : 'started';

/**
 * A live view of one job: its current object first, then a frame per event, and the
 * object again as the final frame. Events are best-effort, so the record is also read
 * every few seconds and is always what decides the ending; a reader that reconnects
 * gets the current state, not the frames it missed.
 */
export class ImageJobWatchService {
  constructor(private readonly deps: ImageJobWatchDeps) {}

  /** Rejects with the owner-scoped 404 before sending anything when the job is not the caller's. */
  async watch(request: ImageJobWatchRequest): Promise<void> {
    const { jobId, owner, signal, send } = request;
    const pending: JobEvent[] = [];
    let wake: (() => void) | undefined;
    // Subscribed before the first read, so an event between the read and the subscription cannot slip by.
    const unsubscribe = this.deps.events.subscribeJob(jobId, (event) => {
      pending.push(event);
      wake?.();
    });
    try {
      const first = await this.deps.jobs.get(jobId, owner);
      await send({ event: openingEvent(first.status), data: first });
      if (isFinalStatus(first.status)) return;
      let nextCheck = Date.now() + (this.deps.recheckMs ?? 3_000);
      while (!signal.aborted) {
        if (pending.length === 0) {
          await this.sleep(nextCheck - Date.now(), signal, (resume) => (wake = resume));
          wake = undefined;
        }
        if (signal.aborted) return;
        const events = pending.splice(0);
        const ended = events.some((event) => event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled' || event.type === 'expired');
        for (const event of events) {
          if (ended && event.type !== 'partial_image') continue;
          const frame = await this.frameOf(event, request);
          if (frame) await send(frame);
        }
        if (ended || Date.now() >= nextCheck) {
          nextCheck = Date.now() + (this.deps.recheckMs ?? 3_000);
          const current = await this.deps.jobs.get(jobId, owner);
          if (isFinalStatus(current.status)) {
            await send({ event: FINAL_EVENT[current.status], data: current });
            return;
          }
        }
      }
    } finally {
      unsubscribe();
    }
  }

  private async frameOf(event: JobEvent, request: ImageJobWatchRequest): Promise<ImageJobFrame | undefined> {
    switch (event.type) {
      case 'queued':
      case 'started': {
        // A retry shows up as `queued` again; the object carries its new place in line.
        const job: ImageJobObject = await this.deps.jobs.get(request.jobId, request.owner);
        return { event: event.type, data: job };
      }
      case 'progress':
        return { event: 'progress', data: { id: request.jobId, progress: event.progress } };
      case 'partial_image': {
        if (!request.partialImages) return undefined;
        const url = await this.deps.storage.signedUrl(event.partial.key, { expiresInSeconds: this.deps.urlTtlSeconds });
        return {
          event: 'partial_image',
          data: { id: request.jobId, image_index: event.partial.imageIndex, partial_index: event.partial.partialIndex, url },
        };
      }
      default:
        return undefined;
    }
  }

  private sleep(ms: number, signal: AbortSignal, onWake: (resume: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done);
      onWake(done);
    });
  }
}
