/** What the application reports for monitoring; the adapter exports it (Prometheus, infrastructure/metrics). */
export abstract class Metrics {
  /** One checkout attempt and its result ("accepted" or the refusal code). */
  abstract checkout(result: string): void;
  /** Items of one purchase: how many were bought and why the others were not. */
  abstract purchaseItems(purchased: number, failedByReason: Readonly<Record<string, number>>): void;
  /** Acknowledged orders the reconciler found missing in PostgreSQL and queued again. */
  abstract ordersRequeued(count: number): void;
  /** Items PostgreSQL says were sold that the ledger does not: should always be 0. */
  abstract soldOnlyInPostgres(saleId: number, items: number): void;
}
