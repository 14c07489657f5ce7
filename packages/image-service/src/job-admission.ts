/**
 * Asked once for each new job, after validation (so `images` is the request's `n`) and
 * before its inputs are stored; it throws to refuse (a rate limit, a spent quota). A retry
 * answered from the job its Idempotency-Key already names is never asked. Batch lines do
 * not pass through here.
 */
export interface JobAdmission {
  admit(job: { jobId: string; images: number }): Promise<AdmittedJob>;
}

export interface AdmittedJob {
  /** The job could not be queued after all: give back what only a live job should hold. */
  withdraw(): Promise<void>;
}
