import { Agent, request } from 'node:http';

export interface HttpJsonResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Minimal HTTP/1.1 JSON client on a keep-alive agent: the load generator's cost per
 * request stays small and constant, so it measures the server rather than itself.
 */
export class HttpJsonClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(baseUrl: string, private readonly apiKey: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(this.base.hostname)) {
      throw new Error(`the benchmark only talks to loopback addresses, not ${this.base.hostname}`);
    }
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<HttpJsonResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.apiKey}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...headers,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers });
            } catch {
              resolve({ status: res.statusCode ?? 0, body: text.slice(0, 500), headers: res.headers });
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Turns an unexpected status into an error carrying the server's own message. */
export function expectStatus(response: HttpJsonResponse, expected: number, what: string): void {
  if (response.status === expected) return;
  const error = (response.body as { error?: { message?: string } } | undefined)?.error?.message ?? JSON.stringify(response.body)?.slice(0, 200);
  throw new Error(`${what}: HTTP ${response.status}: ${error}`);
}
