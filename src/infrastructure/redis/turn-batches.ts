/**
 * Calls made in one turn of the event loop, sent to Redis together after the turn's I/O (setImmediate): one
 * script call per key (a sale, a stream) serves them all, at most `maxPerCall` calls' arguments at a time so
 * one script never holds Redis for long. Each call's promise settles with the script call that carried it,
 * so a request is answered only once its write is done.
 */
export class TurnBatches<R> {
  private readonly pending = new Map<string, { readonly args: string[]; readonly waiters: Waiter<R>[] }>();

  /** `send` runs one script call for `count` calls whose arguments are `args`, and answers one result each. */
  constructor(
    private readonly maxPerCall: number,
    private readonly send: (key: string, args: string[], count: number) => Promise<readonly R[]>,
  ) {}

  add(key: string, ...args: string[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { args: [], waiters: [] };
        this.pending.set(key, batch);
        setImmediate(() => this.flush(key));
      }
      batch.args.push(...args);
      batch.waiters.push({ resolve, reject });
    });
  }

  private flush(key: string): void {
    const batch = this.pending.get(key);
    this.pending.delete(key);
    if (!batch) return;
    const perCall = batch.args.length / batch.waiters.length;
    for (let i = 0; i < batch.waiters.length; i += this.maxPerCall) {
      const waiters = batch.waiters.slice(i, i + this.maxPerCall);
      const args = batch.args.slice(perCall * i, perCall * (i + this.maxPerCall));
      // Through a promise even if `send` throws: this runs from setImmediate, where a throw would be fatal.
      Promise.resolve()
        .then(() => this.send(key, args, waiters.length))
        .then(
          (results) => waiters.forEach((w, j) => w.resolve(results[j]!)),
          (e: unknown) => waiters.forEach((w) => w.reject(e)),
        );
    }
  }
}

interface Waiter<R> {
  resolve(result: R): void;
  reject(e: unknown): void;
}
