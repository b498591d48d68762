import { SettledSales } from '../../../../src/application/shared/settled-sales';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { NOW, SECOND, aSale, aSaleOpeningIn, aSaleThatEnded, anOpenSale } from '../../../support/mothers/sale.mother';

describe('SettledSales', () => {
  const SETTLE = 10 * SECOND;
  const SWEEP = 30 * SECOND;
  const at = (ms: number) => new Date(NOW.getTime() + ms);
  let settled: SettledSales;
  let ended: Sale;

  beforeEach(() => {
    settled = new SettledSales(SETTLE, SWEEP);
    ended = aSaleThatEnded(SETTLE);
    settled.toRead([], at(0)); // the first call is a sweep: start the tests just after one
  });

  it('passes over a sale read empty once it has been over settleMs, until the next sweep reads every sale', () => {
    const open = anOpenSale();
    const next = aSaleOpeningIn(60 * SECOND);
    const sales = [ended, open, next];
    expect(settled.toRead(sales, at(1))).toEqual(sales);
    for (const s of sales) settled.found(s, true, at(1));

    expect(settled.toRead(sales, at(2))).toEqual([open, next]);
    expect(settled.toRead(sales, at(SWEEP - 1))).toEqual([open, next]);
    expect(settled.toRead(sales, at(SWEEP))).toEqual(sales);
  });

  it('keeps reading an ended sale while its reads find entries', () => {
    settled.found(ended, false, at(1));
    expect(settled.toRead([ended], at(2))).toEqual([ended]);
    settled.found(ended, true, at(2));
    expect(settled.toRead([ended], at(3))).toEqual([]);
  });

  it('does not settle a sale read empty less than settleMs after its end: Redis’s clock may still be inside it', () => {
    const justEnded = aSaleThatEnded(SETTLE - 2);
    settled.found(justEnded, true, at(1));
    expect(settled.toRead([justEnded], at(2))).toEqual([justEnded]);
    settled.found(justEnded, true, at(2));
    expect(settled.toRead([justEnded], at(3))).toEqual([]);
  });

  it('reads a settled sale again once a sweep finds entries in it (a clock further off, a failover)', () => {
    settled.found(ended, true, at(1));
    expect(settled.toRead([ended], at(SWEEP))).toEqual([ended]);
    settled.found(ended, false, at(SWEEP));
    expect(settled.toRead([ended], at(SWEEP + 1))).toEqual([ended]);
  });

  it('reads a settled sale again once it has a later end', () => {
    settled.found(ended, true, at(1));
    const extended = aSale({ id: ended.id, opensInMs: ended.startsAt.getTime() - NOW.getTime(), durationMs: 3 * 3_600_000 });
    expect(settled.toRead([extended], at(2))).toEqual([extended]);
  });

  it('sweeps at once when the clock steps back', () => {
    settled.found(ended, true, at(1));
    expect(settled.toRead([ended], at(-60 * SECOND))).toEqual([ended]);
  });
});
