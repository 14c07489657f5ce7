import { RateLimitError } from '@imageforge/contracts';
import { openaiDuration } from './openai-duration';

/** Where one window limit stands after a check, for the `x-ratelimit-*` headers. */
export interface WindowState {
  limit: number;
  /** Units left in the window after this check (0 when refused). */
  remaining: number;
  /** Milliseconds until the window is back to its full limit. */
  resetMs: number;
}

/** `x-ratelimit-{limit,remaining,reset}-<unit>` as OpenAI sends them for requests and tokens. */
export function windowHeaders(unit: 'requests' | 'images', state: WindowState): Record<string, string> {
  return {
    [`x-ratelimit-limit-${unit}`]: String(state.limit),
    [`x-ratelimit-remaining-${unit}`]: String(state.remaining),
    [`x-ratelimit-reset-${unit}`]: openaiDuration(state.resetMs),
  };
}

/** Both forms the SDK reads; it prefers the millisecond one and sleeps exactly that long before its retry. */
function retryHeaders(retryMs: number): Record<string, string> {
  const ms = Math.max(1, Math.ceil(retryMs));
  return { 'retry-after': String(Math.ceil(ms / 1000)), 'retry-after-ms': String(ms) };
}

export function requestsLimited(state: WindowState, used: number, retryMs: number): RateLimitError {
  return new RateLimitError(
    `Rate limit reached for requests per min (RPM): Limit ${state.limit}, Used ${used}, Requested 1. Please try again in ${openaiDuration(retryMs)}.`,
    { type: 'requests', code: 'rate_limit_exceeded', headers: { ...windowHeaders('requests', state), ...retryHeaders(retryMs) } },
  );
}

/** `type: images` stands where OpenAI's token limits say `tokens`: images are what we meter per minute. */
export function imagesLimited(state: WindowState, used: number, requested: number, retryMs: number): RateLimitError {
  return new RateLimitError(
    `Rate limit reached for images per min (IPM): Limit ${state.limit}, Used ${used}, Requested ${requested}. Please try again in ${openaiDuration(retryMs)}.`,
    { type: 'images', code: 'rate_limit_exceeded', headers: { ...windowHeaders('images', state), ...retryHeaders(retryMs) } },
  );
}

/** More images than a whole minute allows: no wait helps, so the SDK is told not to retry. */
export function imagesRequestTooLarge(limit: number, requested: number): RateLimitError {
  return new RateLimitError(
    `Request too large for images per min (IPM): Limit ${limit}, Requested ${requested}. Ask for at most ${limit} images (n) per request.`,
    { type: 'images', param: 'n', code: 'rate_limit_exceeded', headers: { 'x-should-retry': 'false' } },
  );
}

/** OpenAI's words for a spent quota, also a 429; retrying before the day turns is pointless, so the SDK is told not to. */
export function quotaExceeded(): RateLimitError {
  return new RateLimitError('You exceeded your current quota, please check your plan and billing details.', {
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    headers: { 'x-should-retry': 'false' },
  });
}

/** No OpenAI counterpart: when a slot frees is unknown, so no retry-after and the SDK backs off on its own. */
export function concurrentJobsLimited(limit: number, held: number): RateLimitError {
  return new RateLimitError(
    `Rate limit reached for concurrent jobs: Limit ${limit}, Used ${held}, Requested 1. Please try again once one of your queued or running jobs has finished.`,
    { type: 'jobs', code: 'rate_limit_exceeded' },
  );
}
