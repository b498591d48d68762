import { Injectable } from '@nestjs/common';
import { SalePauseSwitch } from '../../application/sales/sale-pause-switch.port';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { saleEventsChannel, saleKeys } from './sale-keys';
import { UnexpectedScriptReply } from './script-replies';

/** scripts/lua/sale-pause.lua: the flag checkout and purchase read, and the event that tells every instance. */
@Injectable()
export class RedisSalePauseSwitch extends SalePauseSwitch {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async setPaused(saleId: SaleId, paused: boolean): Promise<boolean> {
    return (await this.switch(saleId, [paused ? '1' : '0'])) === 1;
  }

  async pauseUnlessSwitched(saleId: SaleId, switches: number): Promise<'paused' | 'switched' | 'not_loaded'> {
    const reply = await this.switch(saleId, ['1', String(switches)]);
    return reply === 1 ? 'paused' : reply === 2 ? 'switched' : 'not_loaded';
  }

  private async switch(saleId: SaleId, args: string[]): Promise<0 | 1 | 2> {
    const k = saleKeys(saleId);
    const reply = await runScript(this.redis.command, 'sale-pause', [k.meta, saleEventsChannel(saleId, this.redis.db)], args);
    // This instance reads its own writes: recent reads of the sale no longer answer.
    saleReadCache(this.redis).forget(saleId);
    if (reply !== 0 && reply !== 1 && reply !== 2) throw new UnexpectedScriptReply('sale-pause', reply);
    return reply;
  }
}
