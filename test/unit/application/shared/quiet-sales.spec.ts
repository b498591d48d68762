import { QuietSales } from '../../../../src/application/shared/quiet-sales';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { NOW, SECOND, aSale, aSaleOpeningIn, aSaleThatEnded, anOpenSale } from '../../../support/mothers/sale.mother';

describe('QuietSales', () => {
  const MARGIN = 10 * SECOND;
  const SWEEP = 30 * SECOND;
  const at = (ms: number) => new Date(NOW.getTime() + ms);
  let quiet: QuietSales;
  let ended: Sale;

  beforeEach(() => {
    quiet = new QuietSales(MARGIN, SWEEP);
    ended = aSaleThatEnded(MARGIN);
    quiet.toRead([], at(0)); // the first call is a sweep: start the tests just after one
  });

  it('passes over a sale read empty once it has been over marginMs, until the next sweep reads every sale', () => {
    const open = anOpenSale();
    const sales = [ended, open];
    expect(quiet.toRead(sales, at(1))).toEqual(sales);
    for (const s of sales) quiet.found(s, true, at(1));

    expect(quiet.toRead(sales, at(2))).toEqual([open]);
    expect(quiet.toRead(sales, at(SWEEP - 1))).toEqual([open]);
    expect(quiet.toRead(sales, at(SWEEP))).toEqual(sales);
  });

  it('passes over a sale until marginMs before its start: nothing can be bought there yet', () => {
    const next = aSaleOpeningIn(MARGIN + 5 * SECOND);
    expect(quiet.toRead([next], at(1))).toEqual([]);
    expect(quiet.toRead([next], at(5 * SECOND - 1))).toEqual([]);
    expect(quiet.toRead([next], at(5 * SECOND))).toEqual([next]);
  });

  it('keeps reading an ended sale while its reads find entries', () => {
    quiet.found(ended, false, at(1));
    expect(quiet.toRead([ended], at(2))).toEqual([ended]);
    quiet.found(ended, true, at(2));
    expect(quiet.toRead([ended], at(3))).toEqual([]);
  });

  it('does not settle a sale read empty less than marginMs after its end: Redis’s clock may still be inside it', () => {
    const justEnded = aSaleThatEnded(MARGIN - 2);
    quiet.found(justEnded, true, at(1));
    expect(quiet.toRead([justEnded], at(2))).toEqual([justEnded]);
    quiet.found(justEnded, true, at(2));
    expect(quiet.toRead([justEnded], at(3))).toEqual([]);
  });

  it('reads a settled sale again once a sweep finds entries in it (a clock further off, a failover)', () => {
    quiet.found(ended, true, at(1));
    expect(quiet.toRead([ended], at(SWEEP))).toEqual([ended]);
    quiet.found(ended, false, at(SWEEP));
    expect(quiet.toRead([ended], at(SWEEP + 1))).toEqual([ended]);
  });

  it('reads a settled sale again once it has a later end', () => {
    quiet.found(ended, true, at(1));
    const extended = aSale({ id: ended.id, opensInMs: ended.startsAt.getTime() - NOW.getTime(), durationMs: 3 * 3_600_000 });
    expect(quiet.toRead([extended], at(2))).toEqual([extended]);
  });

  it('reads the other sales when one read fails, and retries the failed sale after a pause of its own, not slowing the run', async () => {
    const open = anOpenSale();
    const failing = new Error('no replica on that shard');
    const told: unknown[] = [];
    quiet = new QuietSales(MARGIN, SWEEP, (_sale, e) => told.push(e));
    quiet.toRead([], at(0));
    quiet.found(ended, true, at(1));
    const read = jest.fn(async (sale: Sale) => {
      if (sale === ended) throw failing;
      return 3;
    });
    // A sweep reads the settled sale too; its failure leaves the open sale read and counted, and the run whole.
    await expect(quiet.readEach([ended, open], at(SWEEP), read)).resolves.toBe(3);
    expect(read.mock.calls.map(([s]) => s)).toEqual([ended, open]);
    expect(told).toEqual([failing]);
    // Within its pause, the next runs read the open sale alone; after it, the failed one again (told once a streak).
    read.mockClear();
    await quiet.readEach([ended, open], at(SWEEP + 10), read);
    expect(read.mock.calls.map(([s]) => s)).toEqual([open]);
    await quiet.readEach([ended, open], at(SWEEP + 1_000), read);
    expect(read.mock.calls.map(([s]) => s)).toEqual([open, ended, open]);
    expect(told).toEqual([failing]);
    // Once its read succeeds (empty), it is settled again, and the end of the streak is told.
    read.mockImplementation(async () => 0);
    await expect(quiet.readEach([ended, open], at(SWEEP + 10_000), read)).resolves.toBe(0);
    expect(told).toEqual([failing, null]);
    expect(quiet.toRead([ended, open], at(SWEEP + 10_001))).toEqual([open]);
  });

  it('fails the run when every read it made failed, for the caller to back off', async () => {
    const down = new Error('Redis unreachable');
    await expect(quiet.readEach([anOpenSale()], at(1), async () => Promise.reject(down))).rejects.toBe(down);
  });

  it('sweeps at once when the clock steps back', () => {
    quiet.found(ended, true, at(1));
    expect(quiet.toRead([ended], at(-60 * SECOND))).toEqual([ended]);
  });
});
