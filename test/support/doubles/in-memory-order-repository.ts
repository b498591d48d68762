import {
  OrderRepository,
  OrderStoreUnavailableError,
  OrdersRejectedError,
} from '../../../src/application/order-pipeline/order.repository.port';
import { Order } from '../../../src/domain/order/order.entity';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { InMemorySaleRepository } from './in-memory-sale-repository';

/**
 * Orders as PostgreSQL keeps them: an order already written is skipped (any batch may be written again),
 * a unit of an item in two orders fails the whole batch, and a batch is written entirely or not at all.
 * Tests can make it refuse chosen orders (OrdersRejectedError) or be unreachable (OrderStoreUnavailableError).
 */
export class InMemoryOrderRepository implements OrderRepository {
  private readonly orders = new Map<string, Order>();
  private readonly units = new Set<string>();
  private readonly refused = new Set<string>();
  private down = false;
  /** The size of every batch handed to saveBatch, in order. */
  readonly batchSizes: number[] = [];

  /** Given the sales, writing an order marks its items sold there, as the real transaction does. */
  constructor(private readonly sales?: InMemorySaleRepository) {}

  async saveBatch(batch: readonly Order[]): Promise<number> {
    this.batchSizes.push(batch.length);
    if (batch.length === 0) return 0;
    if (this.down) throw new OrderStoreUnavailableError('connection refused');
    const bad = batch.find((o) => this.refused.has(o.id));
    if (bad) throw new OrdersRejectedError(`insert of order ${bad.id} violates a constraint`);
    const fresh = batch.filter((o, i) => !this.orders.has(o.id) && batch.findIndex((p) => p.id === o.id) === i);
    const taken = new Set(this.units);
    for (const o of fresh) {
      for (const l of o.lines) {
        const unit = `${l.itemId}:${l.unit}`;
        if (taken.has(unit))
          throw new OrdersRejectedError(`duplicate key value violates unique constraint (item ${l.itemId}, unit ${l.unit})`);
        taken.add(unit);
      }
    }
    for (const o of fresh) {
      this.orders.set(o.id, o);
      for (const l of o.lines) this.units.add(`${l.itemId}:${l.unit}`);
      this.sales?.recordWrittenOrder(o);
    }
    return fresh.length;
  }

  async countForSale(saleId: SaleId): Promise<number> {
    this.check();
    return [...this.orders.values()].filter((o) => o.saleId === saleId).length;
  }

  async forUser(saleId: SaleId, userId: string): Promise<{ orderId: string; itemIds: number[]; purchasedAt: Date }[]> {
    this.check();
    return [...this.orders.values()]
      .filter((o) => o.saleId === saleId && o.userId === userId)
      .sort((a, b) => a.purchasedAt.getTime() - b.purchasedAt.getTime())
      .map((o) => ({ orderId: o.id, itemIds: o.lines.map((l) => l.itemId as number).sort((a, b) => a - b), purchasedAt: o.purchasedAt }));
  }

  async existing(orderIds: readonly string[]): Promise<Set<string>> {
    this.check();
    return new Set(orderIds.filter((id) => this.orders.has(id)));
  }

  /** Every written order, in the order written. */
  written(): Order[] {
    return [...this.orders.values()];
  }

  /** PostgreSQL refuses any batch holding one of these orders (a constraint, a bad value). */
  refuse(...orderIds: string[]): void {
    for (const id of orderIds) this.refused.add(id);
  }

  /** PostgreSQL cannot be reached until comeBack(). */
  goDown(): void {
    this.down = true;
  }

  comeBack(): void {
    this.down = false;
  }

  private check(): void {
    if (this.down) throw new OrderStoreUnavailableError('connection refused');
  }
}
