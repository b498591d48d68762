/** What the application reports for monitoring; the adapter exports it (Prometheus, infrastructure/metrics). */
export abstract class Metrics {
  /** Acknowledged orders the reconciler found missing in PostgreSQL and queued again. */
  abstract ordersRequeued(count: number): void;
  /** Items PostgreSQL says were sold that the ledger does not: should always be 0. */
  abstract soldOnlyInPostgres(saleId: number, items: number): void;
}
