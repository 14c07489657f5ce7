/** The waiters were closed (shutdown) before the job finished; the job itself lives on. */
export class WaiterClosedError extends Error {
  override readonly name = 'WaiterClosedError';
  constructor(readonly jobId: string) {
    super(`stopped waiting for job ${jobId}: shutting down`);
  }
}

/** The job disappeared (removed, or never added) while someone waited for it. */
export class JobMissingError extends Error {
  override readonly name = 'JobMissingError';
  constructor(readonly jobId: string) {
    super(`job ${jobId} does not exist`);
  }
}

/** Someone in this process already waits for the job (one waiter per job id). */
export class DuplicateWaiterError extends Error {
  override readonly name = 'DuplicateWaiterError';
  constructor(readonly jobId: string) {
    super(`job ${jobId} already has a waiter`);
  }
}
