interface Entry<T> {
  expiresAtMs: number;
  value: Promise<T>;
}

/**
 * A per-process memo of key lookups, each answer kept `ttlMs` from when its read began (so
 * it is never older than that), shared by requests that arrive while it is being read. A
 * failed read is forgotten at once: the next request asks Redis again.
 */
export class PrincipalCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(owner: string, read: () => Promise<T>): Promise<T> {
    const nowMs = this.now();
    const cached = this.entries.get(owner);
    if (cached && cached.expiresAtMs > nowMs) return cached.value;
    if (cached) this.entries.delete(owner);
    this.makeRoom(nowMs);
    const entry: Entry<T> = { expiresAtMs: nowMs + this.ttlMs, value: read() };
    this.entries.set(owner, entry);
    entry.value.catch(() => {
      if (this.entries.get(owner) === entry) this.entries.delete(owner);
    });
    return entry.value;
  }

  /** Drops what this process knows of a key it just changed, so its own next request reads Redis. */
  forget(owner: string): void {
    this.entries.delete(owner);
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(nowMs: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [owner, entry] of this.entries) if (entry.expiresAtMs <= nowMs) this.entries.delete(owner);
    // Still full of live entries (a flood of distinct keys): the oldest go first; Maps keep insertion order.
    for (const owner of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(owner);
    }
  }
}
