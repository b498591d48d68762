import { CheckoutAttempt } from '../../src/application/analytics/checkout-attempt-log.port';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { PrismaCheckoutAttemptRepository } from '../../src/infrastructure/prisma/prisma-checkout-attempt.repository';
import { PrismaService } from '../../src/infrastructure/prisma/prisma.service';
import { wipeState, withPg } from '../support/test-env';

/*
 * The analytics writer hands PostgreSQL a batch as one comma list per column, which PostgreSQL splits into
 * rows. Every value must land in its own row and column, whatever the batch holds (one row, empty or missing
 * values), and writing a batch again must add nothing.
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

const attempt = (k: number, extra: Partial<CheckoutAttempt> = {}): CheckoutAttempt => ({
  source: '{sale:7}:attempts',
  entryId: `1796300000000-${k}`,
  saleId: 7 as SaleId,
  userId: `user-${k}`,
  itemId: (100 + k) as ItemId,
  result: k % 2 ? 'item_sold_out' : 'accepted',
  attemptedAt: new Date(1796300000000 + k),
  ...extra,
});

const rows = () =>
  withPg(
    async (pg) =>
      (
        await pg.query(
          `SELECT source, stream_id, sale_id, user_id, item_id, result, (extract(epoch FROM attempted_at) * 1000)::bigint::text AS ms
           FROM checkout_attempts ORDER BY stream_id`,
        )
      ).rows,
  );
const asRow = (a: CheckoutAttempt) => ({
  source: a.source,
  stream_id: a.entryId,
  sale_id: a.saleId,
  user_id: a.userId,
  item_id: a.itemId,
  result: a.result,
  ms: String(a.attemptedAt.getTime()),
});

it('writes every attempt of a batch into its own row, each value in its column, to the millisecond', async () => {
  const batch = Array.from({ length: 500 }, (_, k) => attempt(k));
  expect(await repository.saveBatch(batch)).toBe(500);
  const written = await rows();
  expect(written).toHaveLength(500);
  expect(written).toEqual(expect.arrayContaining(batch.map(asRow)));
});

it('keeps columns aligned with missing and empty values, and in a batch of one', async () => {
  await wipeState();
  const odd = [
    attempt(1, { saleId: null, itemId: null, source: 'attempts:no-sale' }),
    attempt(2, { userId: '' }),
    attempt(3, { userId: 'a,b', result: 'sale_ended' }), // a comma cannot come from the API; it must not shift a column
  ];
  expect(await repository.saveBatch(odd)).toBe(3);
  expect(await repository.saveBatch([attempt(4, { userId: '' })])).toBe(1);
  expect(await rows()).toEqual([
    asRow(attempt(1, { saleId: null, itemId: null, source: 'attempts:no-sale' })),
    asRow(attempt(2, { userId: '' })),
    { ...asRow(attempt(3, { result: 'sale_ended' })), user_id: 'ab' },
    asRow(attempt(4, { userId: '' })),
  ]);
});

it('is idempotent: a batch written again (the writer crashed before trimming its stream) adds nothing', async () => {
  await wipeState();
  const batch = Array.from({ length: 10 }, (_, k) => attempt(k));
  expect(await repository.saveBatch(batch)).toBe(10);
  expect(await repository.saveBatch([...batch.slice(5), attempt(10)])).toBe(1);
  expect(await rows()).toHaveLength(11);
  expect(await repository.saveBatch([])).toBe(0);
});
