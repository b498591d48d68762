import { randomUUID } from 'node:crypto';
import { Order } from '../../src/domain/order/order.entity';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { PrismaOrderRepository } from '../../src/infrastructure/prisma/prisma-order.repository';
import { PrismaService } from '../../src/infrastructure/prisma/prisma.service';
import { wipeState, withPg } from '../support/test-env';

/*
 * Order workers write batches side by side, and batches of one sale share items. Each batch is one
 * transaction that takes every item row it sells from; taken in a different order by two batches, each would
 * hold a row the other waits for, and PostgreSQL would break the cycle by failing one of them (a deadlock,
 * retried later, which costs the order its place in the queue). Here batches sell the same items in opposite
 * orders, many at once, on a real PostgreSQL: every one must be written, and every unit counted once.
 */

jest.setTimeout(60_000);

const ITEMS = 12;
const ROUNDS = 150;
/** Batches in flight at once: as many as the pool has connections. */
const WRITERS = 24;
/** Units each item has: one per order of the first test, two for the second. */
const STOCK = ROUNDS * 2 + 2;
let prisma: PrismaService;
let repository: PrismaOrderRepository;
let saleId: SaleId;
let itemIds: ItemId[];

beforeAll(async () => {
  await wipeState();
  prisma = new PrismaService(loadConfig({ ...process.env, DATABASE_POOL_SIZE: String(WRITERS) }));
  repository = new PrismaOrderRepository(prisma);
  await withPg(async (pg) => {
    const sale = await pg.query<{ id: number }>(
      `INSERT INTO sales (started_at, ended_at, items_total, sale_cap, per_user_limit, units_per_item)
       VALUES (now() - interval '1 hour', now() - interval '30 minutes', $1, $2, 100, $3) RETURNING id`,
      [ITEMS, ITEMS * STOCK, STOCK],
    );
    saleId = sale.rows[0]!.id as SaleId;
    const items = await pg.query<{ id: number }>(
      `INSERT INTO items (sale_id, name, stock) SELECT $1, 'item ' || n, $2 FROM generate_series(1, $3) AS n RETURNING id`,
      [saleId, STOCK, ITEMS],
    );
    itemIds = items.rows.map((r) => r.id as ItemId).sort((a, b) => a - b);
  });
});

afterAll(async () => {
  await prisma?.onApplicationShutdown();
});

/** An order of one unit of each item, in the order given. */
const order = (items: readonly ItemId[], unit: number): Order => ({
  id: randomUUID(),
  saleId,
  userId: `buyer-${unit}`,
  checkoutCode: `code-${saleId}-${unit}`,
  lines: items.map((itemId) => ({ itemId, unit })),
  purchasedAt: new Date(),
});

it('writes batches that share items in opposite orders, side by side, without failing one', async () => {
  const reversed = [...itemIds].reverse();
  const batches: Order[][] = [];
  for (let r = 0; r < ROUNDS; r++) batches.push([order(itemIds, 2 * r + 1)], [order(reversed, 2 * r + 2)]);
  // As the workers do: a fixed number of writers, each taking the next batch when its last one is done.
  const pending = [...batches];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let b = pending.shift(); b; b = pending.shift()) await repository.saveBatch(b).catch((e: unknown) => failures.push(String(e)));
    }),
  );
  expect(failures).toEqual([]);
  const sold = await withPg((pg) =>
    pg.query<{ sold_count: number }>(`SELECT sold_count FROM items WHERE sale_id = $1 ORDER BY id`, [saleId]),
  );
  expect(sold.rows.map((r) => r.sold_count)).toEqual(itemIds.map(() => ROUNDS * 2));
  expect(await repository.countForSale(saleId)).toBe(ROUNDS * 2);
});

it('writes a batch again without counting a unit twice, whichever order its orders come in', async () => {
  const first = order(itemIds, STOCK - 1);
  const second = order(itemIds.slice(0, 2), STOCK);
  const before = await repository.countForSale(saleId);
  await expect(repository.saveBatch([first, second])).resolves.toBe(2);
  const again = await Promise.all([repository.saveBatch([second, first]), repository.saveBatch([first, second])]);
  expect(again).toEqual([0, 0]);
  expect(await repository.countForSale(saleId)).toBe(before + 2);
});
