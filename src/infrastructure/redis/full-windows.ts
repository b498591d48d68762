/**
 * Rate-limit windows this instance has seen full, and until when (performance.now() time). A request that
 * names one is refused here, without a call to Redis, until just before the window's oldest request leaves it: a bot
 * that keeps hammering past its limit costs the store, which every instance shares, nothing.
 *
 * Only sound where nothing but age frees a place in a window: on one server or Sentinel. (On a Cluster
 * rate-limit-undo.lua takes refused requests back out, so the limiter does not use this there.) "Until" is
 * counted from before the call that saw the window full (Redis's clock ran no earlier), less a millisecond
 * (Redis counts whole ms) and 1% of the wait (room for the two clocks' drift and small steps), so it ends
 * before Redis would let the next request in: what is refused here, Redis would refuse. The limiter forgets
 * everything when its connection comes back (a failover may bring a primary that lost recent entries).
 */
export class FullWindows {
  private readonly until = new Map<string, number>();
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
      const until = this.until.get(key);
      if (until === undefined) continue;
      if (until <= now) this.until.delete(key);
      else (full ??= []).push({ index: i, resetMs: until - now });
    }
    return full;
  }

  /** A window that had no place left after a call begun at `startedAt`, its oldest request leaving in `resetMs`. */
  remember(key: string, startedAt: number, resetMs: number): void {
    if (this.until.size >= this.maxWindows && !this.until.has(key)) this.dropExpired(startedAt);
    if (this.until.size >= this.maxWindows && !this.until.has(key)) return;
    this.until.set(key, startedAt + resetMs * 0.99 - 1);
  }

  /** Forgets every window: on a new connection, and for windows emptied behind the limiter's back (a test). */
  clear(): void {
    this.until.clear();
  }

  private dropExpired(now: number): void {
    if (now < this.noSweepBefore) return;
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
    // Still full: every window is live, so sweeping again at once would only read them all again.
    if (this.until.size >= this.maxWindows) this.noSweepBefore = now + 1_000;
  }
}
