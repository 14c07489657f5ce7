import type { Response } from 'express';

/** Bodies from this length on are sent as a Buffer, as express does; shorter ones as the string. */
const BUFFER_FROM_CHARS = 1_000;

/**
 * What `res.status(status).json(body)` sends for a POST answer (same status,
 * headers and bytes), written directly: express's `json` and `send` re-read app
 * settings and re-parse the content type on every call and check ETag, freshness
 * and HEAD, none of which applies here (ETags are off, a POST is never fresh).
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const chunk = text.length < BUFFER_FROM_CHARS ? text : Buffer.from(text, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
  res.end(chunk);
}
