import { Injectable } from '@nestjs/common';
import { HeldPastRetention, RegisteredSale, SaleRegistry } from '../../application/sales/sale-registry.port';
import { ItemSet, ItemSetJson } from '../../domain/sale/item-set.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { RedisConnections } from './redis-connections';
import { runScript } from './lua-scripts';
import { REGISTRY_KEY, REGISTRY_PLANS_KEY, saleKeys } from './sale-keys';

interface Plan {
  startsAt: number;
  endsAt: number;
  itemsTotal: number;
  saleCap: number;
  perUserLimit: number;
  unitsPerItem: number;
  onePurchasePerUser?: boolean;
  items?: ItemSetJson;
}

/** The shared registry of loaded sales: a sorted set by end time plus a hash of their plans. */
@Injectable()
export class RedisSaleRegistry extends SaleRegistry {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async register(sale: Sale, items: ItemSet): Promise<void> {
    const plan: Plan = { startsAt: sale.startsAt.getTime(), endsAt: sale.endsAt.getTime(), ...sale.terms, items: items.toJSON() };
    await this.redis.background
      .multi()
      .hset(REGISTRY_PLANS_KEY, String(sale.id), JSON.stringify(plan))
      .zadd(REGISTRY_KEY, plan.endsAt, String(sale.id))
      .exec();
  }

  async listEndingAfter(since: Date): Promise<RegisteredSale[]> {
    // On the fail-fast connection: the calendar refresh retries every second anyway.
    const ids = await this.redis.command.zrangebyscore(REGISTRY_KEY, `(${since.getTime()}`, '+inf');
    if (ids.length === 0) return [];
    const plans = await this.redis.command.hmget(REGISTRY_PLANS_KEY, ...ids);
    const sales: RegisteredSale[] = [];
    ids.forEach((id, i) => {
      const raw = plans[i];
      if (!raw) return;
      const p = JSON.parse(raw) as Plan;
      const { startsAt, endsAt, onePurchasePerUser, items, ...terms } = p;
      const window = SaleWindow.of(new Date(startsAt), new Date(endsAt));
      const sale = Sale.restore(Number(id) as SaleId, window, { ...terms, onePurchasePerUser: onePurchasePerUser ?? false });
      sales.push({ sale, items: items ? ItemSet.fromJSON(items) : null });
    });
    return sales.sort((a, b) => a.sale.startsAt.getTime() - b.sale.startsAt.getTime());
  }

  async forgetEndedBefore(before: Date): Promise<HeldPastRetention[]> {
    const ids = await this.redis.background.zrangebyscore(REGISTRY_KEY, '-inf', `(${before.getTime()}`);
    const kept: HeldPastRetention[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const keys = saleKeys(Number(id));
      const [attempts, orders] = (await runScript(
        this.redis.background,
        'sale-forget',
        [keys.stats, keys.attempts, keys.outbox, keys.fence],
        [],
      )) as [number, number];
      if (attempts === 0 && orders === 0) gone.push(id);
      else kept.push({ saleId: Number(id) as SaleId, attempts, orders });
    }
    if (gone.length === 0) return kept;
    await this.redis.background
      .multi()
      .zrem(REGISTRY_KEY, ...gone)
      .hdel(REGISTRY_PLANS_KEY, ...gone)
      .exec();
    return kept;
  }
}
