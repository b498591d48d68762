import { Injectable } from '@nestjs/common';
import { AcknowledgedOrders } from '../../application/orders/acknowledged-orders.port';
import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RedisConnections } from './redis-connections';
import { saleKeys } from './sale-keys';
import { parseOrderLines } from './stream-fields';

/** The spent checkout records of a sale (scripts/lua/purchase.lua) as the orders they acknowledged. */
@Injectable()
export class RedisAcknowledgedOrders extends AcknowledgedOrders {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async *ofSale(saleId: SaleId): AsyncIterable<Order[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.background.hscan(saleKeys(saleId).checkouts, cursor, 'COUNT', 1000);
      cursor = next;
      const orders: Order[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        // Spent checkout records: r.o is the order id, r.l its "item:unit" lines.
        const record = JSON.parse(flat[i + 1]!) as { u: string; s: string; r?: { o: string; l?: string; t: number } };
        if (record.s !== 'spent' || !record.r?.o || !record.r.l) continue;
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
  }
}
