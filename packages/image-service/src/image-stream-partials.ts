import { toImagePartialEvent, type ImageEditPartialImageEvent, type ImageGenPartialImageEvent, type NormalizedImageParams } from '@imageforge/contracts';
import type { JobEventSource, PartialImage } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';

export type ImagePartialEvent = ImageGenPartialImageEvent | ImageEditPartialImageEvent;

/** What a `stream: true` caller is told while its job runs. */
export interface ImageStreamListener {
  /** The job is queued: headers naming it can go out. */
  onStarted(jobId: string): void;
  /** A preview, rendered; awaited, so a slow reader holds back only its own later frames. */
  onPartial(event: ImagePartialEvent): Promise<void>;
}

export interface PartialFollowerOptions {
  events: Pick<JobEventSource, 'subscribeJob'>;
  storage: ObjectStorage;
  jobId: string;
  operation: 'generation' | 'edit';
  params: NormalizedImageParams;
  listener: ImageStreamListener;
  now: () => number;
}

/**
 * Turns a job's `partial_image` events into rendered frames, one after another in
 * arrival order, reading each preview's bytes from storage (Redis carries the key
 * only). Best-effort like the event stream itself: a preview that cannot be read is
 * skipped, since the caller's completed event comes from the job's outcome anyway.
 */
export function followPartials(options: PartialFollowerOptions): { stop(): Promise<void> } {
  let chain = Promise.resolve();
  let stopped = false;
  const send = async (partial: PartialImage) => {
    if (stopped) return;
    const bytes = await options.storage.get(partial.key);
    if (stopped) return;
    await options.listener.onPartial(
      toImagePartialEvent({
        operation: options.operation,
        params: options.params,
        b64_json: bytes.toString('base64'),
        partialIndex: partial.partialIndex,
        createdAt: options.now(),
      }),
    );
  };
  const unsubscribe = options.events.subscribeJob(options.jobId, (event) => {
    if (event.type !== 'partial_image') return;
    chain = chain.then(() => send(event.partial)).catch(() => undefined);
  });
  return {
    /** Stops following and waits for the frames already on their way, so none comes after the end. */
    async stop() {
      unsubscribe();
      await chain;
      stopped = true;
    },
  };
}
