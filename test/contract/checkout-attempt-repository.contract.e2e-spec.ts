import { CheckoutAttemptEntry } from '../../src/application/analytics/checkout-attempt-log.port';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { PrismaCheckoutAttemptRepository } from '../../src/infrastructure/prisma/prisma-checkout-attempt.repository';
import { PrismaService } from '../../src/infrastructure/prisma/prisma.service';
import { wipeState, withPg } from '../support/test-env';

/*
 * The analytics writer hands PostgreSQL a batch of log entries as one list per column, which PostgreSQL
 * splits into one row per entry; the view checkout_attempts unfolds them into one row per attempt. Every
 * value must land in its own row and column, whatever the batch holds (batched and single entries, entries
 * of one, empty or missing values, values with separators in them), and writing a batch again must add
 * nothing.
 */

let prisma: PrismaService;
let repository: PrismaCheckoutAttemptRepository;

beforeAll(async () => {
  await wipeState();
  prisma = new PrismaService(loadConfig(process.env));
  repository = new PrismaCheckoutAttemptRepository(prisma);
});

afterAll(async () => {
  await prisma.onApplicationShutdown();
});

const T0 = 1796300000000;

/** An entry of one attempt in sale 7's log. */
const single = (k: number, extra: Partial<CheckoutAttemptEntry> = {}): CheckoutAttemptEntry => ({
  source: '{sale:7}:attempts',
  entryId: `${T0}-${k}`,
  batched: false,
  saleId: 7 as SaleId,
  attemptedAt: new Date(T0 + k),
  userIds: [`user-${k}`],
  itemIds: [String(100 + k)],
  results: [k % 2 ? 'item_sold_out' : 'accepted'],
  saleIds: null,
  ...extra,
});

/** An entry of `n` attempts logged in one write (checkout-sold-out.lua) in sale 7's log. */
const batchedEntry = (k: number, n: number): CheckoutAttemptEntry => ({
  ...single(k),
  batched: true,
  userIds: Array.from({ length: n }, (_, j) => `u${k}-${j}`),
  itemIds: Array.from({ length: n }, (_, j) => String(j + 1)),
  results: Array.from({ length: n }, (_, j) => (j % 3 ? 'item_sold_out' : 'sale_sold_out')),
});

interface Row {
  source: string;
  stream_id: string;
  sale_id: number | null;
  user_id: string;
  item_id: number | null;
  result: string;
  ms: string;
}

const rows = () =>
  withPg(
    async (pg) =>
      (
        await pg.query<Row>(
          `SELECT source, stream_id, sale_id, user_id, item_id, result, (extract(epoch FROM attempted_at) * 1000)::bigint::text AS ms
           FROM checkout_attempts ORDER BY source COLLATE "C", stream_id COLLATE "C"`,
        )
      ).rows,
  );
const entryCount = () =>
  withPg(async (pg) => (await pg.query('SELECT count(*)::int AS n FROM checkout_attempt_entries')).rows[0].n as number);

/** What the view must show for an entry: one row per attempt, "<entry id>.<k>" for a batched one. */
const expected = (e: CheckoutAttemptEntry): Row[] =>
  e.results.map((result, k) => ({
    source: e.source,
    stream_id: e.batched ? `${e.entryId}.${k}` : e.entryId,
    sale_id: e.saleIds ? (e.saleIds[k] ? Number(e.saleIds[k]) : null) : e.saleId,
    user_id: e.userIds[k]!,
    item_id: e.itemIds[k] ? Number(e.itemIds[k]) : null,
    result,
    ms: String(e.attemptedAt.getTime()),
  }));
const byKey = (a: Row, b: Row) => (a.source !== b.source ? (a.source < b.source ? -1 : 1) : a.stream_id < b.stream_id ? -1 : 1);

it('writes each entry as one row, and the view shows every attempt in its own row, each value in its column, to the millisecond', async () => {
  const entries = [...Array.from({ length: 300 }, (_, k) => single(k)), ...Array.from({ length: 4 }, (_, k) => batchedEntry(1000 + k, 64))];
  expect(await repository.saveBatch(entries)).toBe(304);
  expect(await entryCount()).toBe(304);
  const written = await rows();
  expect(written).toHaveLength(300 + 4 * 64);
  expect(written).toEqual(entries.flatMap(expected).sort(byKey));
});

it('keeps columns aligned with missing and empty values, separators in values, entries of one, and the log without a sale', async () => {
  await wipeState();
  const noSale = (k: number, n: number, sales: string[]): CheckoutAttemptEntry => ({
    ...batchedEntry(k, n),
    source: 'flashsale:attempts',
    saleId: null,
    saleIds: sales,
    results: Array.from({ length: n }, (_, j) => (sales[j] ? 'sale_not_started' : 'no_active_sale')),
  });
  const odd = [
    single(1, { source: 'flashsale:attempts', saleId: null, saleIds: [''], itemIds: [''] }),
    single(2, { userIds: [''] }),
    // Neither separator can come from the API; they must not shift a column.
    single(3, { userIds: ['a,b;c'], results: ['sale_ended'] }),
    single(4, { source: 'flashsale:attempts', saleId: null, saleIds: ['77'] }),
    noSale(5, 3, ['', '77', '']),
    noSale(6, 1, ['78']),
    { ...batchedEntry(7, 2), userIds: ['x;y', 'z'] },
    { ...batchedEntry(9, 2), userIds: ['p,q', 'r'] },
  ];
  expect(await repository.saveBatch(odd)).toBe(odd.length);
  expect(await repository.saveBatch([single(8, { userIds: [''] })])).toBe(1);
  expect(await rows()).toEqual(
    [
      ...odd
        .flatMap(expected)
        .map((r) =>
          r.user_id === 'a,b;c'
            ? { ...r, user_id: 'abc' }
            : r.user_id === 'x;y'
              ? { ...r, user_id: 'xy' }
              : r.user_id === 'p,q'
                ? { ...r, user_id: 'pq' }
                : r,
        ),
      ...expected(single(8, { userIds: [''] })),
    ].sort(byKey),
  );
});

it('shows an item or sale id that is not a number as NULL, never as an error for every query', async () => {
  await wipeState();
  const noSale = (k: number, saleIds: string[]) => single(k, { source: 'flashsale:attempts', saleId: null, saleIds });
  await repository.saveBatch([
    single(1, { itemIds: ['abc'] }),
    single(2, { itemIds: ['99999999999'] }),
    single(3, { itemIds: ['2147483647'] }),
    noSale(4, ['x7']),
    noSale(5, ['99999999999']),
    noSale(6, ['2147483647']),
  ]);
  // flashsale:attempts sorts first.
  expect((await rows()).map((r) => [r.item_id, r.sale_id])).toEqual([
    [104, null],
    [105, null],
    [106, 2147483647],
    [null, 7],
    [null, 7],
    [2147483647, 7],
  ]);
});

it('shows an entry whose lists are empty as one attempt, as the log counts it', async () => {
  await wipeState();
  await repository.saveBatch([{ ...single(1), batched: true, userIds: [''], itemIds: [''], results: [''] }]);
  expect(await rows()).toEqual([
    { source: '{sale:7}:attempts', stream_id: `${T0}-1.0`, sale_id: 7, user_id: '', item_id: null, result: 'unknown', ms: String(T0 + 1) },
  ]);
});

it('is idempotent: a batch written again (the writer crashed before trimming its stream) adds nothing', async () => {
  await wipeState();
  const entries = [...Array.from({ length: 8 }, (_, k) => single(k)), batchedEntry(8, 5)];
  expect(await repository.saveBatch(entries)).toBe(9);
  expect(await repository.saveBatch([...entries.slice(5), single(10)])).toBe(1);
  expect(await rows()).toHaveLength(8 + 5 + 1);
  expect(await repository.saveBatch([])).toBe(0);
});

it('finds a sale’s attempts by sale id through indexes, without reading every entry', async () => {
  const plan = await withPg(async (pg) => {
    await pg.query('SET enable_seqscan = off'); // the table is tiny here: the planner would rightly scan it
    return (await pg.query(`EXPLAIN SELECT count(*) FROM checkout_attempts WHERE sale_id = 7`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  expect(plan).toContain('checkout_attempt_entries_sale_id_idx');
  expect(plan).toContain('checkout_attempt_entries_without_sale_idx');
  expect(plan).not.toMatch(/Seq Scan on checkout_attempt_entries/);
});
