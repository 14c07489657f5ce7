/**
 * The lifecycle events of any job, as every subscriber (sync waiters, SSE streams,
 * webhooks, the dashboard) receives them. Delivery is best-effort: a subscriber that
 * must not miss an ending reconciles against the job's record as well.
 */

/** A preview the worker stored while the job ran; subscribers fetch the bytes from storage. */
export interface PartialImage {
  /** Storage key of the encoded preview. */
  key: string;
  /** Which output image it previews, 0-based. */
  imageIndex: number;
  /** 0-based position among that image's previews. */
  partialIndex: number;
}

interface JobEventBase {
  queue: string;
  jobId: string;
}

export type JobEvent = JobEventBase &
  (
    | { type: 'queued' }
    | { type: 'started' }
    | { type: 'progress'; progress: number }
    | { type: 'partial_image'; partial: PartialImage }
    /** `returnvalue` as the worker stored it; each subscriber parses it for the job it knows. */
    | { type: 'completed'; returnvalue: unknown }
    | { type: 'failed'; reason: string }
    | { type: 'cancelled'; reason: string }
    /** Not started within its queue-wait deadline: ended without running. */
    | { type: 'expired'; reason: string }
  );

export type JobEventListener = (event: JobEvent) => void;

export interface JobEventSource {
  /** Every event of every queue the source follows; returns the unsubscribe. */
  subscribe(listener: JobEventListener): () => void;
  /** Events of one job only, routed through a map rather than a listener per job on an emitter. */
  subscribeJob(jobId: string, listener: JobEventListener): () => void;
}
