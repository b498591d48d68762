/**
 * Rate-limit windows this instance has seen full, and until when (performance.now() time). A request that
 * names one is refused here, without a call to Redis, until just before the window's oldest request leaves it: a bot
 * that keeps hammering past its limit costs the store, which every instance shares, nothing.
 *
 * Only sound where nothing but age frees a place in a window: on one server or Sentinel. (On a Cluster
 * rate-limit-undo.lua takes refused requests back out, so the limiter does not use this there.) "Until" is
 * counted from before the call that saw the window full (Redis's clock ran no earlier), less a millisecond
 * (Redis counts whole ms) and 1% of the wait (room for the two clocks' drift and small steps), so it ends
 * before Redis would let the next request in: what is refused here, Redis would refuse. The wait such a
 * refusal announces (Retry-After, RateLimit's t) is not shortened: it is counted from when the answer came,
 * so it is never early. The limiter forgets everything when its connection comes back (a failover may bring a
 * primary that lost recent entries).
 */
export class FullWindows {
  /** Per window: until when it is refused here (early, see above), and when it frees (for the answer). */
  private readonly until = new Map<string, { readonly until: number; readonly frees: number }>();
  /** When full of live windows, no new sweep before this (a sweep reads every entry). */
  private noSweepBefore = -Infinity;

  /** `maxWindows` bounds memory when very many clients are limited at once (forgetting only costs a call). */
  constructor(private readonly maxWindows = 100_000) {}

  /** Whether any of these windows is known full at `now`; their states, how long each stays full, if so. */
  refusal(windows: readonly { readonly key: string }[], now: number): { index: number; resetMs: number }[] | null {
    if (this.until.size === 0) return null;
    let full: { index: number; resetMs: number }[] | null = null;
    for (let i = 0; i < windows.length; i++) {
      const key = windows[i]!.key;
      const known = this.until.get(key);
      if (known === undefined) continue;
      if (known.until <= now) this.until.delete(key);
      else (full ??= []).push({ index: i, resetMs: Math.max(1, known.frees - now) });
    }
    return full;
  }

  /**
   * A window that had no place left after a call begun at `startedAt` and answered at `answeredAt`, its oldest
   * request leaving in `resetMs` (by Redis's clock, read between the two).
   */
  remember(key: string, startedAt: number, resetMs: number, answeredAt = startedAt): void {
    if (this.until.size >= this.maxWindows && !this.until.has(key)) this.dropExpired(startedAt);
    if (this.until.size >= this.maxWindows && !this.until.has(key)) return;
    this.until.set(key, { until: startedAt + resetMs * 0.99 - 1, frees: answeredAt + resetMs });
  }

  /** Forgets every window: on a new connection, and for windows emptied behind the limiter's back (a test). */
  clear(): void {
    this.until.clear();
  }

  private dropExpired(now: number): void {
    if (now < this.noSweepBefore) return;
    for (const [key, known] of this.until) if (known.until <= now) this.until.delete(key);
    // Still full: every window is live, so sweeping again at once would only read them all again.
    if (this.until.size >= this.maxWindows) this.noSweepBefore = now + 1_000;
  }
}
