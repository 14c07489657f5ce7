import type { Response } from 'express';

/** Aborts when the caller goes away before its answer is finished; whether what it waited for goes on is the service's call. */
export function callerHangup(res: Response): AbortSignal {
  const hangup = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) hangup.abort();
  });
  return hangup.signal;
}
