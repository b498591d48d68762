import { Injectable, Logger } from '@nestjs/common';
import { AcknowledgedOrders } from '../../application/orders/acknowledged-orders.port';
import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RedisConnections } from './redis-connections';
import { saleKeys } from './sale-keys';
import { parseOrderLines } from './stream-fields';

/** The spent checkout records of a sale (scripts/lua/purchase.lua) as the orders they acknowledged. */
@Injectable()
export class RedisAcknowledgedOrders extends AcknowledgedOrders {
  private readonly logger = new Logger('Reconcile');

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async *ofSale(saleId: SaleId): AsyncIterable<Order[]> {
    let cursor = '0';
    const unreadable: string[] = [];
    do {
      const [next, flat] = await this.redis.background.hscan(saleKeys(saleId).checkouts, cursor, 'COUNT', 1000);
      cursor = next;
      const orders: Order[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const order = acknowledgedOrder(saleId, flat[i]!, flat[i + 1]!);
        if (order === undefined) unreadable.push(flat[i]!);
        else if (order) orders.push(order);
      }
      if (orders.length > 0) yield orders;
    } while (cursor !== '0');
    if (unreadable.length > 0) {
      this.logger.error(
        `sale ${saleId}: ${unreadable.length} checkout record(s) could not be read and were left out of the comparison: ${unreadable.slice(0, 20).join(', ')}`,
      );
    }
  }
}

/**
 * A checkout record (scripts/lua/purchase.lua) as the order it acknowledged: null when it acknowledged none (not
 * spent, or spent with nothing bought); undefined when it cannot be read. The scripts never write such a record,
 * but a hand edit could, and one record must not stop every run of its sale: it is left out and logged.
 */
function acknowledgedOrder(saleId: SaleId, code: string, raw: string): Order | null | undefined {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  // Spent records: r.o is the order id, r.l its "item:unit" lines, r.t when it was bought (ms).
  const { s, u, r } = record as { s?: unknown; u?: unknown; r?: { o?: unknown; l?: unknown; t?: unknown } };
  if (s !== 'spent' || !r?.o) return null;
  if (typeof r.o !== 'string' || typeof r.l !== 'string' || typeof u !== 'string' || !Number.isFinite(r.t)) return undefined;
  const lines = parseOrderLines(r.l);
  if (!lines.every((l) => Number.isSafeInteger(l.itemId) && l.itemId > 0 && Number.isSafeInteger(l.unit) && l.unit > 0)) return undefined;
  return { id: r.o, saleId, userId: u, checkoutCode: code, lines, purchasedAt: new Date(r.t as number) };
}
