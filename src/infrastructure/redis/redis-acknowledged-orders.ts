import { Injectable, Logger } from '@nestjs/common';
import { AcknowledgedOrders } from '../../application/orders/acknowledged-orders.port';
import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RedisConnections } from './redis-connections';
import { saleKeys } from './sale-keys';
import { parseOrderLines } from './stream-fields';

type CheckoutRecord = { u: string; s: string; r?: { o: string; l?: string; t: number } };

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
        // Spent checkout records: r.o is the order id, r.l its "item:unit" lines. One that is not JSON (the
        // scripts never write one; a hand edit could) is left out, not allowed to stop the sale's every run.
        let record: CheckoutRecord;
        try {
          record = JSON.parse(flat[i + 1]!) as CheckoutRecord;
        } catch {
          unreadable.push(flat[i]!);
          continue;
        }
        if (record?.s !== 'spent' || !record.r?.o || !record.r.l) continue;
        orders.push({
          id: record.r.o,
          saleId,
          userId: record.u,
          checkoutCode: flat[i]!,
          lines: parseOrderLines(record.r.l),
          purchasedAt: new Date(Number(record.r.t)),
        });
      }
      if (orders.length > 0) yield orders;
    } while (cursor !== '0');
    if (unreadable.length > 0) {
      this.logger.error(
        `sale ${saleId}: ${unreadable.length} checkout record(s) are not JSON and were left out of the comparison: ${unreadable.slice(0, 20).join(', ')}`,
      );
    }
  }
}
