/**
 * Fixed-window count of login attempts per client address, in process memory: guessing the admin key
 * stays slow per API process, and nothing has to reach Redis before a session exists.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly maxPerWindow: number, private readonly windowMs: number) {}

  /** Counts an attempt; false when the address has used up its window. */
  attempt(address: string, now = Date.now()): boolean {
    this.sweep(now);
    const window = this.windows.get(address);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.set(address, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.maxPerWindow;
  }

  /** Seconds until the address may try again. */
  retryAfterSeconds(address: string, now = Date.now()): number {
    const window = this.windows.get(address);
    return window ? Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)) : 0;
  }

  private sweep(now: number): void {
    // Bounded work: stale windows go once the map grows, so a scan of many addresses cannot pile up memory.
    if (this.windows.size < 1000) return;
    for (const [address, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(address);
  }
}
