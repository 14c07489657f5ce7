import type { SubmitMode } from '@imageforge/image-service';

/**
 * RFC 7240 `Prefer`: `respond-async` answers 202 at once; `wait=N` waits up to N
 * seconds (never past the server's own sync limit). Unknown preferences are ignored,
 * as the RFC asks.
 */
export function submitModeFrom(prefer: string | undefined, syncTimeoutMs: number): SubmitMode {
  if (!prefer) return { kind: 'sync', timeoutMs: syncTimeoutMs };
  const preferences = prefer.split(',').map((item) => item.trim().toLowerCase());
  if (preferences.includes('respond-async')) return { kind: 'async' };
  for (const preference of preferences) {
    const match = /^wait\s*=\s*(\d+)$/.exec(preference);
    if (match?.[1]) return { kind: 'wait', timeoutMs: Math.min(Number(match[1]) * 1000, syncTimeoutMs) };
  }
  return { kind: 'sync', timeoutMs: syncTimeoutMs };
}
