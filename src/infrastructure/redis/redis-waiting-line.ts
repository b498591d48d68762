import { Injectable } from '@nestjs/common';
import { AdmitPolicy, AdmitStep, LineSale, LineStatus, LineWatch, WaitingLine } from '../../application/line/waiting-line.port';
import { LineCloseReason, LineStanding } from '../../domain/line/line-place';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleEventsChannel, saleKeys } from './sale-keys';
import { decodeFlag, decodeLineAdmit, decodeLinePlace, decodeLineStatus, decodeLineWatch } from './script-replies';

/** scripts/lua/line-*.lua: a sale's waiting line on the sale's own hash tag, beside its stock. */
@Injectable()
export class RedisWaitingLine extends WaitingLine {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async place(
    sale: LineSale,
    userId: string,
    mode: 'join' | 'read',
    lotteryKey: string,
    defaultRate: number,
    placesTaken?: number,
  ): Promise<LineStanding | { kind: 'not_open' } | { kind: 'stale_proof' } | { kind: 'spent' }> {
    const k = saleKeys(sale.id);
    const reply = await runScript(
      this.redis.command,
      'line-place',
      [k.line, k.lineAdmitted, k.lineSeen, k.lineState, k.lineJoined, k.lineJoins, k.meta, k.bought],
      [
        userId,
        mode,
        sale.opensAt.getTime(),
        sale.startsAt.getTime(),
        sale.endsAt.getTime(),
        lotteryKey,
        defaultRate,
        sale.expireAt.getTime(),
        placesTaken ?? '',
      ],
    );
    return decodeLinePlace(reply);
  }

  async placesTaken(sale: LineSale, userId: string): Promise<number> {
    return Number((await this.redis.command.hget(saleKeys(sale.id).lineJoins, userId)) ?? 0);
  }

  async admit(sale: LineSale, policy: AdmitPolicy): Promise<AdmitStep> {
    const k = saleKeys(sale.id);
    const reply = await runScript(
      this.redis.background,
      'line-admit',
      [
        k.line,
        k.lineAdmitted,
        k.lineSeen,
        k.lineState,
        k.lineJoined,
        k.meta,
        k.bought,
        k.lineWaits,
        saleEventsChannel(sale.id, this.redis.db),
      ],
      [
        sale.startsAt.getTime(),
        sale.endsAt.getTime(),
        sale.unitsOnSale,
        policy.admittedPerUnit,
        policy.defaultRate,
        policy.admissionMs,
        policy.heartbeatMs,
        sale.expireAt.getTime(),
      ],
    );
    return decodeLineAdmit(reply);
  }

  async close(sale: LineSale, reason: LineCloseReason): Promise<boolean> {
    const k = saleKeys(sale.id);
    const reply = await runScript(
      this.redis.command,
      'line-close',
      [k.lineState, saleEventsChannel(sale.id, this.redis.db)],
      [reason, sale.expireAt.getTime()],
    );
    return decodeFlag('line-close', reply);
  }

  async watch(saleId: SaleId, userIds: readonly string[], defaultRate: number): Promise<LineWatch> {
    const k = saleKeys(saleId);
    const reply = await runScript(
      this.redis.background,
      'line-watch',
      [k.line, k.lineAdmitted, k.lineSeen, k.lineState],
      [defaultRate, ...userIds],
    );
    return decodeLineWatch(reply, userIds.length);
  }

  async status(sale: LineSale, defaultRate: number, newRate?: number): Promise<LineStatus> {
    const k = saleKeys(sale.id);
    const reply = await runScript(
      this.redis.command,
      'line-status',
      [k.line, k.lineAdmitted, k.lineState, k.lineWaits],
      [defaultRate, newRate === undefined ? '' : newRate, sale.expireAt.getTime()],
    );
    return decodeLineStatus(reply);
  }
}
