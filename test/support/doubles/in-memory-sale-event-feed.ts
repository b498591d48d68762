import { LedgerEvent, SaleEventFeed } from '../../../src/application/events/sale-event-feed.port';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';

type Listener = (event: LedgerEvent) => void;

/** The ledger's live announcements (sharded pub/sub in production), delivered at once to every listener. */
export class InMemorySaleEventFeed implements SaleEventFeed {
  private readonly listeners = new Map<SaleId, Set<Listener>>();
  /** How many times anyone subscribed, per sale. */
  readonly subscriptions = new Map<SaleId, number>();

  async subscribe(saleId: SaleId, listener: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(saleId);
    if (!set) {
      set = new Set();
      this.listeners.set(saleId, set);
    }
    set.add(listener);
    this.subscriptions.set(saleId, (this.subscriptions.get(saleId) ?? 0) + 1);
    return async () => {
      set.delete(listener);
    };
  }

  publish(saleId: SaleId, event: LedgerEvent): void {
    for (const listener of [...(this.listeners.get(saleId) ?? [])]) listener(event);
  }

  listenerCount(saleId: SaleId): number {
    return this.listeners.get(saleId)?.size ?? 0;
  }
}
