import { OutboxBatch, PurchaseOutbox } from '../../../src/application/order-pipeline/purchase-outbox.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { Order } from '../../../src/domain/order/order.entity';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';

interface Entry {
  readonly seq: number;
  readonly id: string;
  readonly order: Order;
  readonly addedAt: number;
}

/**
 * The outbox the purchase step appends to (a Redis stream per sale in production). Entry ids carry the
 * time they were added, as stream ids do; acknowledging a batch drops it and everything before it.
 */
export class InMemoryPurchaseOutbox implements PurchaseOutbox {
  private readonly entries = new Map<SaleId, Entry[]>();
  private seq = 0;
  private down: Error | null = null;

  constructor(private readonly clock: Clock) {}

  /** What the purchase step does when something was bought. */
  append(order: Order): void {
    const addedAt = this.clock.now().getTime();
    const seq = ++this.seq;
    this.of(order.saleId).push({ seq, id: `${addedAt}-${seq}`, order, addedAt });
  }

  async read(saleId: SaleId, max: number): Promise<OutboxBatch> {
    this.check();
    const head = this.of(saleId).slice(0, max);
    return { entryIds: head.map((e) => e.id), orders: head.map((e) => e.order) };
  }

  async acknowledge(saleId: SaleId, entryIds: readonly string[]): Promise<void> {
    this.check();
    const last = entryIds.at(-1);
    if (last === undefined) return;
    const lastSeq = Number(last.split('-')[1]);
    this.entries.set(
      saleId,
      this.of(saleId).filter((e) => e.seq > lastSeq),
    );
  }

  async length(saleId: SaleId): Promise<number> {
    this.check();
    return this.of(saleId).length;
  }

  async lag(saleId: SaleId): Promise<{ length: number; oldestAgeMs: number | null }> {
    this.check();
    const entries = this.of(saleId);
    const oldest = entries[0];
    return { length: entries.length, oldestAgeMs: oldest ? Math.max(0, this.clock.now().getTime() - oldest.addedAt) : null };
  }

  /** The orders waiting in a sale's outbox, oldest first. */
  orders(saleId: SaleId): Order[] {
    return this.of(saleId).map((e) => e.order);
  }

  /** Every call fails with this error until comeBack(). */
  goDown(error = new Error('outbox unreachable')): void {
    this.down = error;
  }

  comeBack(): void {
    this.down = null;
  }

  private check(): void {
    if (this.down) throw this.down;
  }

  private of(saleId: SaleId): Entry[] {
    let list = this.entries.get(saleId);
    if (!list) {
      list = [];
      this.entries.set(saleId, list);
    }
    return list;
  }
}
