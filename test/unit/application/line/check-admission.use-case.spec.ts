import { CheckAdmissionUseCase } from '../../../../src/application/line/check-admission.use-case';
import { WaitingRoomSettings } from '../../../../src/application/line/waiting-room-settings';
import { CLOCK_MARGIN_MS, SaleCalendar } from '../../../../src/application/sales/sale-calendar.service';
import { signAdmission } from '../../../../src/domain/line/admission.value-object';
import { ItemSet } from '../../../../src/domain/sale/item-set.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemorySaleRegistry } from '../../../support/doubles/in-memory-sale-registry';
import { MINUTE, aSale, aSaleSettings, itemOf, itemsOf } from '../../../support/mothers/sale.mother';

const SECRET = 'a-waiting-room-secret-of-at-least-32-chars';
const alice = 'alice' as UserId;

describe('CheckAdmissionUseCase', () => {
  // Two back-to-back sales; this instance's clock has just passed the first one's end.
  const ending = aSale({ opensInMs: -30 * MINUTE - 300, durationMs: 30 * MINUTE });
  const next = aSale({ id: ending.id + 1, opensInMs: -300, durationMs: 30 * MINUTE });
  let clock: FixedClock;
  let admission: CheckAdmissionUseCase;

  beforeEach(() => {
    clock = new FixedClock();
    const calendar = new SaleCalendar(new InMemorySaleRegistry(), aSaleSettings(), clock);
    for (const s of [ending, next]) calendar.remember(s, ItemSet.of(itemsOf(s)));
    const settings = new WaitingRoomSettings(true, 10 * MINUTE, 50, 5 * MINUTE, 2, 30_000, SECRET, 0, 24 * 60 * MINUTE);
    admission = new CheckAdmissionUseCase(settings, calendar, clock);
  });

  const tokenFor = (sale: Sale) =>
    signAdmission({ saleId: sale.id, userId: alice, expiresAt: new Date(clock.now().getTime() + MINUTE) }, SECRET);

  it('checks a checkout near a sale’s end against the item’s sale, where the checkout goes', () => {
    // Redis's clock may still be inside the ending sale: its admission lets its item's checkout through.
    expect(admission.execute({ token: tokenFor(ending), saleId: null, itemId: itemOf(ending, 1), buyer: alice }).ok).toBe(true);
    // But not an item of the next sale.
    const other = admission.execute({ token: tokenFor(ending), saleId: null, itemId: itemOf(next, 1), buyer: alice });
    expect(other).toEqual({ ok: false, error: expect.objectContaining({ code: 'admission_required' }) });
    expect(admission.execute({ token: tokenFor(next), saleId: null, itemId: itemOf(next, 1), buyer: alice }).ok).toBe(true);
  });

  it('checks against the sale open by this instance’s clock once past the margin, or when the item is unknown', () => {
    clock.advance(CLOCK_MARGIN_MS);
    const late = admission.execute({ token: tokenFor(ending), saleId: null, itemId: itemOf(ending, 1), buyer: alice });
    expect(late).toEqual({ ok: false, error: expect.objectContaining({ code: 'admission_required' }) });
    expect(admission.execute({ token: tokenFor(next), saleId: null, itemId: null, buyer: alice }).ok).toBe(true);
  });
});
