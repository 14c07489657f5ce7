import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Unix milliseconds when it arrived. */
  at: number;
}

/** How the receiver answers one request; the default is 200. */
export type ReceiverAnswer = (request: ReceivedWebhook, response: ServerResponse) => void;

/**
 * A real HTTP server standing in for a customer's webhook endpoint: it records every
 * request and answers with the next scripted answer for its path (then 200).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, ReceiverAnswer[]>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedWebhook = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        receiver.received.push(request);
        const answer = receiver.scripts.get(request.path)?.shift();
        if (answer) answer(request, res);
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        const waiting = receiver.waiters;
        receiver.waiters = [];
        for (const wake of waiting) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://localhost:<port><path>`: a host name, so deliveries resolve it as they would any other. */
  url(path: string): string {
    return `http://localhost:${this.port}${path}`;
  }

  /** Answers the next requests to `path` with these, in order. */
  script(path: string, ...answers: ReceiverAnswer[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  on(path: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.path === path);
  }

  /** Resolves once `count` requests reached `path`; rejects after `timeoutMs`. */
  async waitFor(path: string, count: number, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.on(path).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${path} got ${this.on(path).length} of ${count} requests within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.on(path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers with a status and headers. */
export function answer(status: number, headers: Record<string, string> = {}): ReceiverAnswer {
  return (_request, response) => {
    response.writeHead(status, headers).end();
  };
}

/** Never answers (until the connection is dropped by the sender). */
export const hang: ReceiverAnswer = () => undefined;
