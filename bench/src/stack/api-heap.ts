import type { AppStack } from './app-stack';

/** Where the API's heap figure came from, or why there is none. */
export interface HeapReading {
  heapUsedBytes?: number;
  source: string;
}

/**
 * Looks for the API's V8 heap on the ops endpoints it may expose: Prometheus text on
 * /metrics, or a JSON health document with `memory.heapUsed`. Without one, RSS is all
 * there is, and the report says so.
 */
export async function readApiHeap(stack: AppStack): Promise<HeapReading> {
  const metrics = await stack.getJson('/metrics');
  if (typeof metrics === 'string') {
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+([\d.e+]+)/m.exec(metrics);
    if (match?.[1]) return { heapUsedBytes: Number(match[1]), source: 'nodejs_heap_size_used_bytes from GET /metrics' };
  }
  for (const path of ['/healthz', '/readyz']) {
    const document = (await stack.getJson(path)) as { memory?: { heapUsed?: unknown } } | undefined;
    const heapUsed = document?.memory?.heapUsed;
    if (typeof heapUsed === 'number') return { heapUsedBytes: heapUsed, source: `memory.heapUsed from GET ${path}` };
  }
  return { source: 'not exposed by the API (no heap figure on /metrics or /healthz), so RSS only' };
}
