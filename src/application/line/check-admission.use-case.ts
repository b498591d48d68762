import { Injectable } from '@nestjs/common';
import { readAdmission } from '../../domain/line/admission.value-object';
import { AdmissionClaim } from '../../domain/line/line-place';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { WaitingRoomSettings } from './waiting-room-settings';

export interface AdmissionCheck {
  /** The admission as the buyer sent it (header or cookie). */
  readonly token: string | undefined;
  /** The sale asked about; null: the sale of `itemId` (a checkout names an item, not a sale). */
  readonly saleId: SaleId | null;
  /** The item a checkout names, if valid: its sale is the one the checkout will go to. */
  readonly itemId?: ItemId | null;
  /** The buyer when the request names one (signed-in caller, or user_id in trusted mode). */
  readonly buyer: string | null;
}

/**
 * With the waiting room on, checkout and purchase need an admission for this buyer and this sale: a token
 * signed with WAITING_ROOM_SECRET, checked here with the secret and the clock alone (no store read, so it
 * adds nothing to the hot path's round trips). With the room off this answers at once. A request for no
 * open sale passes: checkout refuses it by itself (no_active_sale, sale_not_started).
 */
@Injectable()
export class CheckAdmissionUseCase {
  constructor(
    private readonly settings: WaitingRoomSettings,
    private readonly calendar: SaleCalendar,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** ok(null): no admission needed; ok(claim): the admission that lets the request through. */
  execute({ token, saleId, itemId, buyer }: AdmissionCheck): Result<AdmissionClaim | null, Rejection> {
    if (!this.settings.enabled) return ok(null);
    const now = this.clock.now();
    const sale = saleId ?? this.checkoutSale(itemId ?? null, now);
    if (sale === null) return ok(null);
    if (!token) return err(reject(RejectionCode.AdmissionRequired));
    const claim = readAdmission(token, this.settings.secret);
    if (!claim) return err(reject(RejectionCode.AdmissionRequired, 'This admission is not valid.'));
    if (claim.saleId !== sale) return err(reject(RejectionCode.AdmissionRequired, `This admission is for another sale, not sale ${sale}.`));
    if (buyer !== null && claim.userId !== buyer)
      return err(reject(RejectionCode.AdmissionRequired, 'This admission is for another buyer.'));
    if (claim.expiresAt.getTime() <= now.getTime()) {
      return err(reject(RejectionCode.AdmissionRequired, 'This admission has expired: join the line again.'));
    }
    return ok(claim);
  }

  /**
   * The sale a checkout goes to (SaleCalendar.checkoutRoute), or null when it is answered without one
   * (not started, no sale): the checkout then needs no admission.
   */
  private checkoutSale(itemId: ItemId | null, now: Date): SaleId | null {
    if (!itemId) return this.calendar.openAt(now)?.id ?? null;
    const route = this.calendar.checkoutRoute(itemId, now);
    return 'sale' in route ? (route.sale?.id ?? null) : null;
  }
}
