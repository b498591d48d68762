import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { SaleWindow } from '../../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../../src/domain/sale/sale.entity';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('SaleWindow', () => {
  it('aligns recurring sales to the top of the UTC hour', () => {
    const w = SaleWindow.periodic(at('2026-11-22T02:37:12.345Z'), HOUR);
    expect(w.startsAt.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(w.endsAt.toISOString()).toBe('2026-11-22T03:00:00.000Z');
    expect(w.next().startsAt.toISOString()).toBe('2026-11-22T03:00:00.000Z');
  });

  it('puts an instant exactly on the hour in the sale that starts then', () => {
    expect(SaleWindow.periodic(at('2026-11-22T03:00:00.000Z'), HOUR).startsAt.toISOString()).toBe('2026-11-22T03:00:00.000Z');
  });

  it('is half-open: open at the start, ended at the end', () => {
    const w = SaleWindow.periodic(at('2026-11-22T02:30:00Z'), HOUR);
    expect(w.phaseAt(at('2026-11-22T01:59:59.999Z'))).toBe('scheduled');
    expect(w.phaseAt(at('2026-11-22T02:00:00.000Z'))).toBe('open');
    expect(w.phaseAt(at('2026-11-22T02:59:59.999Z'))).toBe('open');
    expect(w.phaseAt(at('2026-11-22T03:00:00.000Z'))).toBe('ended');
  });

  it('rounds the wait until the start up to whole seconds, at least one', () => {
    const w = SaleWindow.periodic(at('2026-11-22T02:30:00Z'), HOUR);
    expect(w.secondsUntilStart(at('2026-11-22T01:59:58.500Z'))).toBe(2);
    expect(w.secondsUntilStart(at('2026-11-22T02:10:00Z'))).toBe(1);
  });

  it('refuses a window that ends before it starts', () => {
    expect(() => SaleWindow.of(at('2026-11-22T03:00:00Z'), at('2026-11-22T02:00:00Z'))).toThrow(/end after/);
  });
});

describe('Sale.statusAt', () => {
  const sale = Sale.restore(1 as SaleId, SaleWindow.periodic(at('2026-11-22T02:30:00Z'), HOUR), {
    itemsTotal: 10,
    saleCap: 5,
    perUserLimit: 2,
    unitsPerItem: 1,
    onePurchasePerUser: false,
  });
  const during = at('2026-11-22T02:30:00Z');

  it.each([
    ['scheduled', at('2026-11-22T01:00:00Z'), 0, false],
    ['active', during, 4, false],
    ['paused', during, 4, true],
    ['sold_out', during, 5, false],
    ['ended', at('2026-11-22T03:00:00Z'), 1, false],
  ] as const)('%s', (status, when, sold, paused) => {
    expect(sale.statusAt(when, { sold, paused })).toBe(status);
  });

  it('refuses terms that cannot run a sale', () => {
    expect(() => Sale.restore(2 as SaleId, sale.window, { ...sale.terms, perUserLimit: 0 })).toThrow(/perUserLimit/);
  });
});
