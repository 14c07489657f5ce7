import { DEFAULT_QUEUE_PREFIX } from '@imageforge/queue';

/**
 * Every key the ops data lives under: one `{ops}` hash tag, so the pipelines and reads
 * below touch a single Cluster slot whatever lane or model they cover.
 */
export class OpsKeys {
  readonly base: string;

  constructor(prefix: string = DEFAULT_QUEUE_PREFIX) {
    this.base = `${prefix}:{ops}`;
  }

  /** One worker's last heartbeat (JSON), expiring on its own when the worker is gone for good. */
  worker(name: string): string {
    return `${this.base}:worker:${name}`;
  }

  /** Worker names scored by their last heartbeat, for listing without SCAN. */
  get workers(): string {
    return `${this.base}:workers`;
  }

  /** The history hash of one bucket (`m`: minute, `h`: hour), named by its start. */
  bucket(resolution: 'minute' | 'hour', start: number): string {
    return `${this.base}:${resolution === 'minute' ? 'm' : 'h'}:${start}`;
  }

  /** Per-owner images and GPU-seconds of one hour or UTC day. */
  usage(resolution: 'hour' | 'day', start: number): string {
    return `${this.base}:usage:${resolution}:${start}`;
  }

  /** The last failure of a class (JSON). */
  failureSample(errorClass: string): string {
    return `${this.base}:failure:${errorClass}`;
  }

  /** Batch ids scored by when their lines were first queued. */
  get batches(): string {
    return `${this.base}:batches`;
  }

  /** Operator actions, newest first, capped. */
  get actions(): string {
    return `${this.base}:actions`;
  }
}
