/**
 * OpenAI's form for `x-ratelimit-reset-*` and "try again in": Go's duration text, as in
 * `20ms`, `1s`, `8.64s`, `6m0s`, `1h2m3s` (whole milliseconds, rounded up).
 */
export function openaiDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = `${Number(((whole % 60_000) / 1000).toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
