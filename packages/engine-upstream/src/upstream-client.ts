import { EngineAbortedError } from '@imageforge/engine-core';
import { failureSummary, forwardedError } from './upstream-errors';
import type { LimiterClock, UpstreamLimiter } from './upstream-limiter';
import { systemClock } from './upstream-limiter';
import { backoffMs, retryAfterMs, shouldRetry } from './upstream-retry';
import type { WireBody } from './upstream-wire';

export interface UpstreamClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
  apiKeyHeader: 'authorization' | 'api-key';
  query?: Record<string, string> | undefined;
  limiter: UpstreamLimiter;
  maxAttempts: number;
  maxRetryWaitMs: number;
  requestTimeoutMs: number;
  clock?: LimiterClock;
  random?: () => number;
}

/**
 * One OpenAI-compatible server, called with plain fetch. Every try waits at the upstream's
 * limiter; 408/409/429/5xx and network errors are tried again after the server's
 * `retry-after-ms` / `retry-after` (else a backoff), within `maxAttempts` and
 * `maxRetryWaitMs` of waiting in all; past those the call throws a plain Error, which the
 * queue retries as it retries any fault. Other 4xx are thrown as the upstream's own
 * ApiError, at once. The slot is not held while waiting between tries.
 */
export class UpstreamClient {
  private readonly clock: LimiterClock;

  constructor(private readonly options: UpstreamClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async post(path: string, wire: WireBody, signal: AbortSignal): Promise<unknown> {
    const { maxAttempts, maxRetryWaitMs, limiter } = this.options;
    const url = this.url(path);
    let waitedMs = 0;
    for (let attempt = 1; ; attempt++) {
      const release = await limiter.acquire(signal);
      let outcome: { status: number; headers: Headers; body: string } | { error: unknown };
      try {
        outcome = await this.send(url, wire, signal);
      } finally {
        release();
      }
      let failure: string;
      let waitMs: number | undefined;
      if ('error' in outcome) {
        failure = `network error: ${messageOf(outcome.error)}`;
      } else if (outcome.status >= 200 && outcome.status < 300) {
        return parseJson(outcome.body, url);
      } else if (!shouldRetry(outcome.status, outcome.headers)) {
        throw forwardedError(outcome.status, outcome.body, this.options.baseUrl);
      } else {
        failure = failureSummary(outcome.status, outcome.body);
        waitMs = retryAfterMs(outcome.headers, this.clock.now());
        if (outcome.status === 429 && waitMs !== undefined) limiter.holdOff(this.clock.now() + waitMs);
      }
      const wait = waitMs ?? backoffMs(attempt, this.options.random);
      if (attempt >= maxAttempts || waitedMs + wait > maxRetryWaitMs) {
        throw new Error(`upstream ${url} failed after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: ${failure}`);
      }
      waitedMs += wait;
      await this.clock.sleep(wait, signal);
    }
  }

  /** The bytes behind an image link an upstream answered with (a signed URL of its storage). */
  async download(url: string, signal: AbortSignal): Promise<Buffer> {
    if (signal.aborted) throw new EngineAbortedError();
    try {
      const response = await fetch(url, { signal: this.trySignal(signal) });
      if (!response.ok) throw new Error(`upstream image link ${redactQuery(url)} answered ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (signal.aborted) throw new EngineAbortedError();
      throw error;
    }
  }

  private async send(url: string, wire: WireBody, signal: AbortSignal): Promise<{ status: number; headers: Headers; body: string } | { error: unknown }> {
    const headers = new Headers({ accept: 'application/json' });
    const { apiKey, apiKeyHeader } = this.options;
    if (apiKey !== undefined) headers.set(apiKeyHeader, apiKeyHeader === 'authorization' ? `Bearer ${apiKey}` : apiKey);
    if (wire.kind === 'json') headers.set('content-type', 'application/json');
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        // fetch sets the multipart boundary itself.
        body: wire.kind === 'json' ? JSON.stringify(wire.body) : wire.body,
        signal: this.trySignal(signal),
      });
      return { status: response.status, headers: response.headers, body: await response.text() };
    } catch (error) {
      if (signal.aborted) throw new EngineAbortedError();
      return { error };
    }
  }

  private trySignal(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.options.requestTimeoutMs)]);
  }

  private url(path: string): string {
    const url = new URL(`${this.options.baseUrl}${path}`);
    for (const [name, value] of Object.entries(this.options.query ?? {})) url.searchParams.set(name, value);
    return url.toString();
  }
}

function parseJson(body: string, url: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`upstream ${url} answered a body that is not JSON: ${body.slice(0, 200)}`);
  }
}

/** Signed links carry their signature in the query; logs and job errors get the path only. */
function redactQuery(url: string): string {
  return url.split('?')[0]!;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
