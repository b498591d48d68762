import { Injectable } from '@nestjs/common';
import { BuyerTally, ItemStock, SaleLedgerLoader } from '../../application/sales/sale-ledger-loader.port';
import { Sale } from '../../domain/sale/sale.entity';
import { LedgerSettings } from './ledger-settings';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { saleKeys } from './sale-keys';
import { decodeFlag } from './script-replies';

const LOAD_CHUNK = 2_000;

/** Loads a sale into Redis: stock and buyers' tallies in chunks, then sale-activate.lua publishes it. */
@Injectable()
export class RedisSaleLedgerLoader extends SaleLedgerLoader {
  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: LedgerSettings,
  ) {
    super();
  }

  async load(
    sale: Sale,
    items: readonly ItemStock[],
    buyers: readonly BuyerTally[],
    alreadySold: number,
    paused = false,
  ): Promise<boolean> {
    const k = saleKeys(sale.id);
    // One pipelined round trip for all chunks, not one per item.
    const pipeline = this.redis.background.pipeline();
    for (let i = 0; i < items.length; i += LOAD_CHUNK) {
      const args = items.slice(i, i + LOAD_CHUNK).flatMap((it) => [it.id, it.unitsLeft]);
      runScript(pipeline, 'sale-load-fields', [k.stock], args);
    }
    // Limits keep counting what buyers bought before a rebuild (fields as in scripts/lua/purchase.lua).
    for (let i = 0; i < buyers.length; i += LOAD_CHUNK) {
      const args = buyers.slice(i, i + LOAD_CHUNK).flatMap((b) => [b.userId, b.units, `#${b.userId}`, b.purchases]);
      runScript(pipeline, 'sale-load-fields', [k.bought], args);
    }
    // Published only once every chunk is in: a chunk that failed (its buyers' tallies missing) must not leave
    // a sale selling past its buyers' limits. A pipeline (or MULTI) runs the commands after a failed one
    // anyway, so the activation waits for the chunks' replies: one more round trip per load.
    if (pipeline.length > 0) {
      const failed = ((await pipeline.exec()) ?? []).find(([error]) => error)?.[0];
      if (failed) {
        // What it wrote still goes with the sale, as a finished load's keys do (sale-activate.lua's expiry).
        const expireAt = sale.endsAt.getTime() + this.settings.retentionMs;
        await this.redis.background
          .pipeline()
          .pexpireat(k.stock, expireAt)
          .pexpireat(k.bought, expireAt)
          .exec()
          .catch(() => undefined);
        throw failed;
      }
    }
    // What the instance read of the sale before is dropped however the activation ends.
    const activated = await runScript<unknown>(
      this.redis.background,
      'sale-activate',
      [k.meta, k.stock, k.bought],
      [
        sale.startsAt.getTime(),
        sale.endsAt.getTime(),
        sale.terms.itemsTotal,
        sale.terms.saleCap,
        sale.terms.perUserLimit,
        alreadySold,
        this.settings.retentionMs,
        sale.terms.onePurchasePerUser ? '1' : '0',
        paused ? '1' : '0',
      ],
    ).finally(() => saleReadCache(this.redis).forget(sale.id));
    return decodeFlag('sale-activate', activated);
  }
}
