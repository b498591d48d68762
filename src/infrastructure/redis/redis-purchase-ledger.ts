import { Injectable } from '@nestjs/common';
import { LedgerPurchaseResult, PurchaseLedger } from '../../application/purchase/purchase-ledger.port';
import { Answer, IdempotencyRequest } from '../../application/shared/idempotency';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { LedgerSettings } from './ledger-settings';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { runIdempotently } from './redis-idempotency';
import { saleEventsChannel, saleKeys } from './sale-keys';
import { decodePurchase } from './script-replies';

/** Purchase on Redis: scripts/lua/purchase.lua, one atomic step that also appends the order to the outbox. */
@Injectable()
export class RedisPurchaseLedger extends PurchaseLedger {
  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: LedgerSettings,
  ) {
    super();
  }

  async purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>> {
    const k = saleKeys(saleId);
    const { reply, replayed } = await runIdempotently(this.redis, saleId, idempotency, (idemKey, token) =>
      runScript(
        this.redis.command,
        'purchase',
        [k.meta, k.stock, k.bought, k.open, k.checkouts, k.outbox, idemKey, k.stats, saleEventsChannel(saleId, this.redis.db)],
        [code, orderIdIfBought, this.settings.retentionMs, token, this.settings.idempotencyTtlMs, buyer ?? ''],
      ),
    );
    // This instance reads its own writes: recent reads of the sale no longer answer.
    saleReadCache(this.redis).forget(saleId);
    return { result: decodePurchase(reply), replayed };
  }
}
