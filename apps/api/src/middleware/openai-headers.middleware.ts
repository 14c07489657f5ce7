import type { NextFunction, Request, Response } from 'express';

/** The API version OpenAI stamps on every answer; some clients log or branch on it. */
export const OPENAI_VERSION = '2020-10-01';

/**
 * OpenAI's `openai-version` and `openai-processing-ms` headers on every /v1 answer, errors
 * included. The time is taken the moment headers go out (writeHead), so it covers the
 * handler's work without waiting for a streamed body to finish.
 */
export function openaiHeadersMiddleware(_req: Request, res: Response, next: NextFunction): void {
  const arrived = performance.now();
  res.setHeader('openai-version', OPENAI_VERSION);
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
    if (!this.headersSent) this.setHeader('openai-processing-ms', String(Math.round(performance.now() - arrived)));
    return writeHead.apply(this, args);
  } as Response['writeHead'];
  next();
}
