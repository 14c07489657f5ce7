import { InvalidRequestError } from '@imageforge/contracts';

/** A week: no job waits longer to start than that anyway. */
const MAX_DEADLINE_MS = 7 * 24 * 3600 * 1000;

/**
 * `x-deadline-ms`: how many milliseconds from acceptance the job may wait to start, in place of
 * its lane's default (DEADLINE_QUEUE_WAIT_MS_<LANE>); past it the job ends `expired` without
 * running. Whole milliseconds, 1 up to a week; anything else is the caller's mistake.
 */
export function queueWaitMsFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = /^\s*\d{1,10}\s*$/.test(header) ? Number(header) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > MAX_DEADLINE_MS) {
    throw new InvalidRequestError(`Invalid x-deadline-ms header: use whole milliseconds from 1 to ${MAX_DEADLINE_MS}.`, { code: 'invalid_deadline' });
  }
  return value;
}
