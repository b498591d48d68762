/**
 * Calls made in one turn of the event loop, sent to Redis together after the turn's I/O (setImmediate): one
 * script call per key (a sale, a stream) serves them all. A batch that reaches `maxPerCall` calls goes at
 * once, without waiting for the turn to end, so one script never holds Redis for long and Redis works on it
 * while this process reads the turn's remaining requests. Each call's promise settles with the script call
 * that carried it, so a request is answered only once its write is done.
 */
export class TurnBatches<R> {
  private readonly pending = new Map<string, Batch<R>>();

  /**
   * `send` runs one script call for `count` calls whose arguments are `args`, and answers one result each: an
   * Error fails that call alone.
   */
  constructor(
    private readonly maxPerCall: number,
    private readonly send: (key: string, args: string[], count: number) => Promise<readonly (R | Error)[]>,
  ) {}

  add(key: string, ...args: string[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        const fresh: Batch<R> = { args: [], waiters: [] };
        this.pending.set(key, fresh);
        setImmediate(() => this.flush(key, fresh));
        batch = fresh;
      }
      batch.args.push(...args);
      batch.waiters.push({ resolve, reject });
      if (batch.waiters.length >= this.maxPerCall) this.flush(key, batch);
    });
  }

  private flush(key: string, batch: Batch<R>): void {
    // Sent already (it filled up before the turn ended): its setImmediate finds nothing left to do.
    if (this.pending.get(key) !== batch) return;
    this.pending.delete(key);
    const { args, waiters } = batch;
    // Through a promise even if `send` throws: this may run from setImmediate, where a throw would be fatal.
    Promise.resolve()
      .then(() => this.send(key, args, waiters.length))
      .then(
        (results) =>
          waiters.forEach((w, j) => {
            const result = results[j]!;
            if (result instanceof Error) w.reject(result);
            else w.resolve(result);
          }),
        (e: unknown) => waiters.forEach((w) => w.reject(e)),
      );
  }
}

interface Batch<R> {
  readonly args: string[];
  readonly waiters: Waiter<R>[];
}

interface Waiter<R> {
  resolve(result: R): void;
  reject(e: unknown): void;
}
