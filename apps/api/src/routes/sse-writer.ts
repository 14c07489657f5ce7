import type { Response } from 'express';

/** Writes server-sent events to one response, waiting for drains so a slow reader's frames stay out of memory. */
export interface SseWriter {
  /** Sends the 200 and the event-stream headers once; later calls do nothing. */
  open(headers?: Record<string, string>): void;
  /** Resolves once the frame is handed to the socket, or at once when the reader is gone. */
  write(frame: string): Promise<void>;
  /** `event:` (and `id:` when given) plus the JSON `data:` line. */
  event(name: string, data: unknown, id?: string | number): Promise<void>;
}

export function createSseWriter(res: Response): SseWriter {
  const write = (frame: string) => {
    if (res.writableEnded || res.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Waiting for the drain paces the writer to the reader, not the job.
      if (res.write(frame)) resolve();
      else {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      }
    });
  };
  return {
    open(headers = {}) {
      if (res.headersSent) return;
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Accel-Buffering', 'no');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.flushHeaders();
    },
    write,
    event(name, data, id) {
      return write(`event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
  };
}
