import http from 'node:http';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { RedisSentinelFleet } from '../../scripts/fleet/redis-fleet';
import { REGISTRY_KEY } from '../../src/infrastructure/redis/sale-keys';
import { redisEnv } from '../support/fleet';
import {
  CheckoutRecord,
  checkoutRecords,
  pgClient,
  pgOrders,
  prepareSaleOn,
  queueState,
  redisPgDisagreements,
  reportFault,
  scratchDatabase,
  stopFaultDependencies,
  tail,
  waitFor,
} from '../support/faults';
import { NodeProcess, buildDist, freePort, killAll, spawnDist, waitUntilReady } from '../support/processes';
import { Buyer, acknowledgedVersusOrders, answersBy, buyersFor, checkOut, itemsInTwoOrders, purchaseWithRetries } from '../support/storm';

/*
 * The loss that replica durability exists for, made deterministic: Redis replicates asynchronously, so a
 * purchase the primary holds and its replica does not yet is lost when the primary dies and the replica takes
 * over. Here the replica is frozen (SIGSTOP) while buyers keep buying, then the primary is killed (SIGKILL),
 * the replica thawed, and the sentinels promote it. The killed primary is then restarted, as a supervisor
 * would, and rejoins as the new primary's replica (throwing away what only it had): until some replica is
 * back, the new primary takes no writes (min-replicas-to-write), as the shipped configuration asks.
 *
 * With PURCHASE_DURABILITY=replica nothing acknowledged may be lost: purchases made during the freeze are
 * answered 503 (no replica confirms), the relay moves none of them to PostgreSQL, and the buyers' retries
 * with the same code succeed on the promoted replica. With none, the same run shows what is lost.
 *
 * An operator also creates a later sale during the freeze. Its load and registry entry are lost with the
 * primary in both settings (creating a sale waits for no replica); every instance loads it again from
 * PostgreSQL once the new primary takes writes (KeepSalesLoadedUseCase), so it is served again.
 */

// Room for a starved machine: Sentinel reconfigures the restarted primary about 11 s after it is back here, but
// can take far longer on a busy box (it stops acting for 30 s at a time, TILT, when its own timer is held up).
// One CI run saw no purchase succeed within 60 s; on failure the test prints the nodes' and sentinels' logs.
jest.setTimeout(360_000);
/** How long buyers keep retrying after the failover, and how long the outbox and queue get to drain. */
const RECOVERY_MS = 150_000;

const BUYERS = 600;
const ADMIN_TOKEN = 'fault-suite-admin-token-0123456789';
const FREEZE_MS = 2_000;
/** Filler is written in chunks of this size until at least this much waits in the primary's own memory. */
const FILLER_CHUNK_BYTES = 16 * 1024 * 1024;
/**
 * The most filler written: the loopback socket buffers between primary and replica grow with use (the receive
 * side up to tcp_rmem's maximum, 32 MiB here), so no fixed size is known to fill them; one CI run saw 48 MiB
 * all taken in. Far below the replica output buffer's hard limit (256 MiB).
 */
const FILLER_MAX_BYTES = 160 * 1024 * 1024;

/** An operator's sale through the admin API: an hour from `startsAt`, five items. */
async function createSale(url: string, startsAt: Date): Promise<{ status: number; id?: number }> {
  const res = await fetch(`${url}/admin/sales`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      items: 5,
      saleCap: 5,
      perUserLimit: 1,
    }),
  });
  return { status: res.status, id: ((await res.json()) as { id?: number }).id };
}

/** Bytes of the replication stream the primary holds in its own memory (sent or not), from INFO memory. */
async function replicationBufferBytes(client: Redis): Promise<number> {
  return Number(/mem_total_replication_buffers:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
}

describe.each(['replica', 'none'] as const)('PURCHASE_DURABILITY=%s: replica frozen, primary killed, replica promoted', (mode) => {
  let redis: RedisSentinelFleet;
  let pg: Client;
  let state: Redis;
  let api: NodeProcess;
  let url: string;
  let saleId: number;
  let saleEndsAt: Date;
  let items: number[];

  beforeAll(async () => {
    buildDist();
    const [r, databaseUrl] = await Promise.all([RedisSentinelFleet.start({ replicas: 1 }), scratchDatabase()]);
    redis = r;
    pg = await pgClient(databaseUrl);
    const env = { ...redisEnv(redis), DATABASE_URL: databaseUrl };
    const prepared = await prepareSaleOn(env, { itemsTotal: BUYERS, saleCap: BUYERS, perUserLimit: 5 });
    saleId = prepared.sale.id;
    saleEndsAt = prepared.sale.endsAt;
    items = prepared.items;
    state = new Redis({
      sentinels: redis.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: redis.masterName,
      maxRetriesPerRequest: 3,
    });
    state.on('error', () => undefined);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawnDist('main.js', {
      ...env,
      PORT: String(port),
      PURCHASE_DURABILITY: mode,
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
      ADMIN_TOKEN,
    });
    await waitUntilReady(url, api, 30_000);
  }, 120_000);

  afterAll(async () => {
    await api?.kill();
    await killAll();
    state?.disconnect();
    await pg?.end().catch(() => undefined);
    await redis?.stop();
    await stopFaultDependencies();
  });

  it(
    mode === 'replica'
      ? 'loses no acknowledged purchase: those made during the freeze are 503, and their retries succeed'
      : 'loses purchases it acknowledged',
    async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
      const buyers: Buyer[] = buyersFor(`loss-${mode}`, items, BUYERS);
      await checkOut(url, agent, buyers);
      const [before, during, after] = [buyers.slice(0, 200), buyers.slice(200, 400), buyers.slice(400)];
      // Everything so far is on the replica.
      await state.call('WAIT', 1, 5_000);

      await purchaseWithRetries(url, agent, before, { width: 50, deadline: Date.now() + 30_000 });
      const primary = await redis.primary();
      const replica = redis.dataNodes.find((n) => n !== primary)!;
      replica.freeze();
      // A frozen replica's sockets still take in megabytes, which it would read on thawing; so it falls behind for
      // real, as a slow or stalled replica does: filler writes fill those buffers until a whole chunk more than
      // before waits in the primary's own memory, and what follows waits there too, which the SIGKILL throws away.
      const filler = primary.client();
      const held = await replicationBufferBytes(filler);
      const chunk = 'x'.repeat(FILLER_CHUNK_BYTES);
      let fillerBytes = 0;
      while ((await replicationBufferBytes(filler)) - held < FILLER_CHUNK_BYTES && fillerBytes < FILLER_MAX_BYTES) {
        await filler.set(`{filler}:${fillerBytes}`, chunk);
        fillerBytes += FILLER_CHUNK_BYTES;
      }
      const waiting = (await replicationBufferBytes(filler)) - held;
      filler.disconnect();
      // Otherwise the test could not tell the settings apart: the replica would get every purchase anyway.
      expect(waiting).toBeGreaterThanOrEqual(FILLER_CHUNK_BYTES);
      const frozenAt = Date.now();
      // One attempt each while the replica is frozen: what would a buyer have been told? And an operator
      // creates the sale after this one meanwhile.
      const [later] = await Promise.all([
        createSale(url, new Date(saleEndsAt.getTime() + 60_000)),
        purchaseWithRetries(url, agent, during, { width: 50, deadline: frozenAt + FREEZE_MS }),
      ]);
      expect(later.status).toBe(201);
      const laterMeta = `{sale:${later.id}}:meta`;
      const duringAnswers = answersBy(during, frozenAt);
      await primary.kill();
      replica.thaw();
      const killedAt = Date.now();
      const promoted = await waitFor(
        () => redis.primary(),
        (p) => p === replica,
        30_000,
        200,
      );
      expect(promoted.ok).toBe(true);
      const promotedAt = Date.now();
      const onPromoted = replica.client();
      const laterOnPromoted = {
        meta: await onPromoted.exists(laterMeta),
        registered: await onPromoted.zscore(REGISTRY_KEY, String(later.id)),
      };
      // What the promoted replica holds when it takes over, before the killed primary is back: judged here, not at
      // the end, because a busy box can see a second failover back to the restarted primary, whose append-only file
      // still has everything (one CI run ended on it, and nothing looked undone).
      const recordsOnPromotion = await checkoutRecords(onPromoted, saleId);
      onPromoted.disconnect();
      // Back once the new primary takes writes again (its old primary rejoined as its replica).
      const laterBack = waitFor(
        async () => (await state.exists(laterMeta)) === 1 && (await state.zscore(REGISTRY_KEY, String(later.id))) !== null,
        Boolean,
        RECOVERY_MS,
        200,
      );
      await primary.restart();
      // The buyers who were told 503 retry with the same code, and the rest buy.
      await purchaseWithRetries(url, agent, [...during, ...after], { width: 50, deadline: Date.now() + RECOVERY_MS, retryMs: 200 });
      agent.destroy();
      const firstOk = Math.min(
        ...[...during, ...after]
          .flatMap((b) => b.attempts)
          .filter((a) => a.status === 200 && a.at > killedAt)
          .map((a) => a.at),
      );

      const acknowledged = buyers.filter((b) => b.result?.orderId);
      await waitFor(
        async () => ({ queue: await queueState(state), outbox: await state.xlen(`{sale:${saleId}}:outbox`) }),
        (s) => s.outbox === 0 && s.queue.wait + s.queue.active + s.queue.delayed === 0,
        RECOVERY_MS,
        200,
      );
      await new Promise((r) => setTimeout(r, 500));
      const orders = await pgOrders(pg, saleId);
      const records = await checkoutRecords(state, saleId);
      // Acknowledged with items, yet the promoted Redis never heard of the purchase: undone by the failover.
      const undoneIn = (held: Map<string, CheckoutRecord>, among: readonly Buyer[]): Buyer[] =>
        among.filter((b) => b.result?.orderId && (held.get(b.code!)?.s !== 'spent' || held.get(b.code!)?.r?.o !== b.result.orderId));
      const undone = undoneIn(records, acknowledged);
      // Those acknowledged before the kill that the promoted replica did not have when it took over.
      const undoneOnPromotion = undoneIn(
        recordsOnPromotion,
        acknowledged.filter((b) => b.result!.at < killedAt),
      );
      const endedOnPromoted = (await redis.primary()) === replica;
      const lost = acknowledged.filter((b) => ![...orders.values()].some((o) => o.orderId === b.result!.orderId));
      const wrong = await acknowledgedVersusOrders(pg, saleId, buyers);
      const disagreements = await redisPgDisagreements(state, pg, saleId);
      const laterSale = await laterBack;
      const laterServed = await fetch(`${url}/sales/${later.id}`).then(async (r) => [
        r.status,
        ((await r.json()) as { status?: string }).status,
      ]);

      reportFault(`replica-frozen-primary-killed-${mode}`, {
        durability: mode,
        buyers: BUYERS,
        freezeMs: FREEZE_MS,
        fillerMiB: fillerBytes / 1024 / 1024,
        waitingInPrimaryMiB: Math.round(waiting / 1024 / 1024),
        answersDuringFreeze: duringAnswers,
        acknowledgedWithItems: acknowledged.length,
        ordersWritten: orders.size,
        undoneByFailover: undone.length,
        undoneOnPromotedReplicaAtPromotion: undoneOnPromotion.length,
        primaryAtEnd: endedOnPromoted ? 'promoted replica' : 'restarted primary',
        lostFromPostgres: lost.length,
        redisPostgresDisagreements: disagreements.length,
        duplicates: await itemsInTwoOrders(pg, saleId),
        firstPurchaseOkAfterKillMs: firstOk - killedAt,
        saleCreatedDuringFreeze: {
          onPromotedReplica: laterOnPromoted,
          loadedAndRegisteredAgainAfterPromotionMs: laterSale.ok ? laterSale.at - promotedAt : null,
          served: laterServed,
        },
      });

      if (!Number.isFinite(firstOk)) {
        // Nothing was bought after the failover: say what Redis and the sentinels did, for whoever reads the failure.
        const logs = [...redis.dataNodes, ...redis.sentinels].map((n) => `--- redis ${n.port}\n${n.logTail(60)}`).join('\n');
        process.stderr.write(`replica-loss (${mode}): no purchase succeeded after the kill\n${logs}\n--- api\n${tail(api.output)}\n`);
      }
      // The sale created during the freeze was lost with the primary, and came back from PostgreSQL.
      expect(laterOnPromoted).toEqual({ meta: 0, registered: null });
      expect(laterSale.ok).toBe(true);
      expect(laterServed).toEqual([200, 'scheduled']);
      if (mode === 'replica') {
        // During the freeze no purchase was confirmed; afterwards every buyer got theirs.
        expect(Object.keys(duringAnswers)).toEqual(['503']);
        expect(buyers.filter((b) => !b.result).map((b) => b.user)).toEqual([]);
        expect(undoneOnPromotion).toEqual([]);
        expect(undone).toEqual([]);
        expect(lost).toEqual([]);
        expect(wrong).toEqual([]);
        expect(disagreements).toEqual([]);
        expect(await itemsInTwoOrders(pg, saleId)).toBe(0);
      } else {
        // The reason for the setting: purchases answered 200 during the freeze are gone from the new primary.
        expect(duringAnswers['200']).toBeGreaterThan(0);
        expect(undoneOnPromotion.length).toBeGreaterThan(0);
        // Only purchases made during the freeze can be missing: everything before it was on the replica.
        expect(undoneOnPromotion.every((b) => during.includes(b))).toBe(true);
      }
    },
  );
});
