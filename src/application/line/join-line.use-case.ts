import { Injectable } from '@nestjs/common';
import { signAdmission } from '../../domain/line/admission.value-object';
import { LinePlace, LineStanding, placeOf } from '../../domain/line/line-place';
import { isProofOfWork, powChallenge } from '../../domain/line/proof-of-work';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { UserId } from '../../domain/user/user-id.value-object';
import { Clock } from '../shared/clock.port';
import { IdGenerator } from '../shared/id-generator.port';
import { LineSales } from './line-sales.service';
import { LineSale, WaitingLine } from './waiting-line.port';
import { WaitingRoomSettings } from './waiting-room-settings';

/** A place as answered to its buyer: with the signed admission while admitted. */
export type LineAnswer = LinePlace & { readonly admission?: string };

export interface JoinLineCommand {
  readonly saleId: SaleId;
  readonly userId: UserId;
  /** The hashcash nonce, when WAITING_ROOM_POW_BITS asks for one. */
  readonly proof?: string;
}

/**
 * POST and GET /sales/:id/line: join a sale's waiting line (one place per buyer) or read one's place. A read
 * is also a heartbeat: a waiting buyer unseen for WAITING_ROOM_HEARTBEAT_SECONDS loses the place.
 */
@Injectable()
export class JoinLineUseCase {
  constructor(
    private readonly line: WaitingLine,
    private readonly sales: LineSales,
    private readonly settings: WaitingRoomSettings,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async join({ saleId, userId, proof }: JoinLineCommand): Promise<Result<LineAnswer, Rejection>> {
    return this.run(saleId, userId, 'join', proof);
  }

  async read(saleId: SaleId, userId: UserId): Promise<Result<LineAnswer, Rejection>> {
    return this.run(saleId, userId, 'read');
  }

  private async run(saleId: SaleId, userId: UserId, mode: 'join' | 'read', proof?: string): Promise<Result<LineAnswer, Rejection>> {
    if (!this.settings.enabled) return err(reject(RejectionCode.LineNotOpen, 'The waiting room is off: check out directly.'));
    const sale = await this.sales.find(saleId);
    if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${saleId}.`));
    // The proof names the places this buyer has taken here: each new place costs a new one. The proof of the
    // place held now (made for one place fewer) still answers that place, and takes no other.
    let proven: number | undefined;
    if (mode === 'join' && this.settings.powBits > 0) {
      const taken = await this.line.placesTaken(sale, userId);
      proven = [taken, taken - 1].find((n) => n >= 0 && isProofOfWork(powChallenge(saleId, userId, n), proof ?? '', this.settings.powBits));
      if (proven === undefined) {
        // A stamp buys a new place and nothing else: a buyer who holds one, and a line that is closed or not
        // open yet, are answered as a read is, before any work is asked for (a page would otherwise burn its
        // buyer's CPU only to learn that the line closed, with no Retry-After to wait by). Read only here,
        // so a join with a good stamp costs no more calls than before.
        const held = await this.line.place(sale, userId, 'read', this.ids.lotteryKey(), this.settings.admitPerSecond);
        if (held.kind !== 'absent' && held.kind !== 'stale_proof') return this.settle(sale, userId, held);
        return err(this.proofRequired(saleId, userId, taken));
      }
    }
    const standing = await this.line.place(sale, userId, mode, this.ids.lotteryKey(), this.settings.admitPerSecond, proven);
    // A new place, but the proof was made for another count (the place it bought is gone, or the same buyer
    // took one meanwhile): prove again, for the next place.
    if (standing.kind === 'stale_proof') return err(this.proofRequired(saleId, userId, await this.line.placesTaken(sale, userId)));
    return this.settle(sale, userId, standing);
  }

  /** The answer to a standing in the line: the place, or why there is none. */
  private settle(
    sale: LineSale,
    userId: UserId,
    standing: LineStanding | { kind: 'not_open' } | { kind: 'spent' },
  ): Result<LineAnswer, Rejection> {
    if (standing.kind === 'not_open') {
      const wait = Math.max(1, Math.ceil((sale.opensAt.getTime() - this.clock.now().getTime()) / 1000));
      return err(reject(RejectionCode.LineNotOpen, `The line for sale ${sale.id} opens at ${sale.opensAt.toISOString()}.`, wait));
    }
    if (standing.kind === 'absent') return err(reject(RejectionCode.NotInLine));
    if (standing.kind === 'spent') {
      return err(
        reject(RejectionCode.UserLimitReached, `You have bought all that sale ${sale.id} allows you: there is nothing to wait for.`),
      );
    }
    return ok(this.answer(sale, userId, standing));
  }

  private proofRequired(saleId: SaleId, userId: UserId, taken: number): Rejection {
    return reject(
      RejectionCode.ProofOfWorkRequired,
      `Send pow=<nonce> such that SHA-256 of "${powChallenge(saleId, userId, taken)}<nonce>" starts with ${this.settings.powBits} zero bits.`,
    );
  }

  private answer(sale: LineSale, userId: UserId, standing: Exclude<LineStanding, { kind: 'absent' }>): LineAnswer {
    const place = placeOf(standing);
    if (place.status !== 'admitted') return place;
    return { ...place, admission: signAdmission({ saleId: sale.id, userId, expiresAt: place.expiresAt }, this.settings.secret) };
  }
}
