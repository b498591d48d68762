import { Injectable } from '@nestjs/common';
import { SalePauseSwitch } from '../../application/sales/sale-pause-switch.port';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { saleEventsChannel, saleKeys } from './sale-keys';
import { decodeFlag } from './script-replies';

/** scripts/lua/sale-pause.lua: the flag checkout and purchase read, and the event that tells every instance. */
@Injectable()
export class RedisSalePauseSwitch extends SalePauseSwitch {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async setPaused(saleId: SaleId, paused: boolean): Promise<boolean> {
    const k = saleKeys(saleId);
    const reply = await runScript(
      this.redis.command,
      'sale-pause',
      [k.meta, saleEventsChannel(saleId, this.redis.db)],
      [paused ? '1' : '0'],
    );
    // This instance reads its own writes: recent reads of the sale no longer answer.
    saleReadCache(this.redis).forget(saleId);
    return decodeFlag('sale-pause', reply);
  }
}
