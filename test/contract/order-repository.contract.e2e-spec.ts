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
/** The second test: groups of new orders, each group sent as two batches at once, in opposite orders. */
const AGAIN_GROUPS = 4;
const AGAIN_PER_GROUP = 300;
/** Units each item has: one per order of the first test, and enough for the second's. */
const STOCK = ROUNDS * 2 + Math.ceil((AGAIN_GROUPS * AGAIN_PER_GROUP) / ITEMS);
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
const order = (items: readonly ItemId[], unit: number): Order => {
  const id = randomUUID();
  return {
    id,
    saleId,
    userId: `buyer-${unit}`,
    checkoutCode: `code-${id}`,
    lines: items.map((itemId) => ({ itemId, unit })),
    purchasedAt: new Date(),
  };
};

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

it('writes the same orders sent in two batches at once, in opposite orders, once and without failing either', async () => {
  // As when a job is retried while its stalled run goes on: every order is written once, and neither batch fails.
  const groups = Array.from({ length: AGAIN_GROUPS }, (_, g) =>
    Array.from({ length: AGAIN_PER_GROUP }, (_, k) => {
      const j = g * AGAIN_PER_GROUP + k;
      return order([itemIds[j % ITEMS]!], ROUNDS * 2 + 1 + Math.floor(j / ITEMS));
    }),
  );
  const before = await repository.countForSale(saleId);
  const failures: string[] = [];
  const written = await Promise.all(
    groups
      .flatMap((group) => [group, [...group].reverse()])
      .map((b) => repository.saveBatch(b).catch((e: unknown) => (failures.push(String(e)), 0))),
  );
  expect(failures).toEqual([]);
  expect(written.reduce((a, b) => a + b, 0)).toBe(AGAIN_GROUPS * AGAIN_PER_GROUP);
  expect(await repository.countForSale(saleId)).toBe(before + AGAIN_GROUPS * AGAIN_PER_GROUP);
});
