import { CheckoutAttemptsSettings } from '../../../../src/application/analytics/checkout-attempts-settings';
import { RecordCheckoutAttemptsUseCase } from '../../../../src/application/analytics/record-checkout-attempts.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import {
  ATTEMPTS_WITHOUT_SALE,
  InMemoryCheckoutAttemptRepository,
  attemptsOfSale,
} from '../../../support/doubles/in-memory-checkout-attempt-log';
import { HOUR, NOT_AN_ITEM, SECOND, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('RecordCheckoutAttemptsUseCase', () => {
  const settings = new CheckoutAttemptsSettings(3, 250, 5_000);
  let world: World;
  let repository: InMemoryCheckoutAttemptRepository;
  let recordAttempts: RecordCheckoutAttemptsUseCase;
  let sale: Sale;

  beforeEach(async () => {
    world = new World();
    repository = new InMemoryCheckoutAttemptRepository();
    recordAttempts = new RecordCheckoutAttemptsUseCase(world.attempts, repository, world.calendar, world.lease, settings, world.clock);
    sale = anOpenSale();
    await world.live(sale);
  });

  const attempt = (user: string, item: ItemId) =>
    world.ledger.checkout(sale.id, user as UserId, item, `${sale.id}-code${user}xxxxxxxxxxxxxx` as CheckoutCode, null);

  describe('execute(): one batch of one log', () => {
    it('writes the oldest attempts, then drops them from the log', async () => {
      await attempt('alice', itemOf(sale, 1));
      await attempt('bob', NOT_AN_ITEM);

      expect(await recordAttempts.execute(attemptsOfSale(sale.id), 10)).toBe(2);

      expect(repository.saved.map((a) => [a.userId, a.itemId, a.result, a.saleId])).toEqual([
        ['alice', itemOf(sale, 1), 'accepted', sale.id],
        ['bob', NOT_AN_ITEM, 'item_not_found', sale.id],
      ]);
      expect(world.attempts.waiting(attemptsOfSale(sale.id))).toEqual([]);
    });

    it('takes at most a batch, leaving later attempts in the log', async () => {
      for (const user of ['a', 'b', 'c']) await attempt(user, itemOf(sale, 1));

      expect(await recordAttempts.execute(attemptsOfSale(sale.id), 2)).toBe(2);
      expect(world.attempts.waiting(attemptsOfSale(sale.id)).map((a) => a.userId)).toEqual(['c']);
    });

    it('drops nothing when writing fails, so nothing is lost', async () => {
      await attempt('alice', itemOf(sale, 1));
      repository.goDown();

      await expect(recordAttempts.execute(attemptsOfSale(sale.id), 10)).rejects.toThrow('database unreachable');
      expect(world.attempts.waiting(attemptsOfSale(sale.id))).toHaveLength(1);

      repository.comeBack();
      expect(await recordAttempts.execute(attemptsOfSale(sale.id), 10)).toBe(1);
      expect(repository.saved).toHaveLength(1);
    });

    it('does nothing with an empty log', async () => {
      expect(await recordAttempts.execute(attemptsOfSale(sale.id), 10)).toBe(0);
      expect(repository.saved).toEqual([]);
    });
  });

  describe('runOnce()', () => {
    it('drains every known sale’s log and the no-sale log, a batch each', async () => {
      const next = aSaleOpeningIn(HOUR);
      await world.live(next);
      for (const user of ['a', 'b', 'c', 'd']) await attempt(user, itemOf(sale, 1));
      await world.attempts.logWithoutSale('early' as UserId, itemOf(next, 1), 'sale_not_started', next.id);

      expect(await recordAttempts.runOnce()).toBe(4);

      expect(world.attempts.waiting(ATTEMPTS_WITHOUT_SALE)).toEqual([]);
      expect(world.attempts.waiting(attemptsOfSale(sale.id)).map((a) => a.userId)).toEqual(['d']);
    });

    it('passes over an ended sale once its log read empty, but reads it again on a sweep', async () => {
      const ended = aSaleThatEnded(HOUR);
      await world.live(ended);
      const reads: string[] = [];
      const read = world.attempts.read.bind(world.attempts);
      world.attempts.read = async (source, max) => {
        reads.push(source);
        return read(source, max);
      };

      await recordAttempts.runOnce();
      await recordAttempts.runOnce();
      expect(reads.filter((s) => s === attemptsOfSale(ended.id))).toHaveLength(1);
      expect(reads.filter((s) => s === attemptsOfSale(sale.id))).toHaveLength(2);
      expect(reads.filter((s) => s === ATTEMPTS_WITHOUT_SALE)).toHaveLength(2);

      world.clock.advance(30 * SECOND);
      await recordAttempts.runOnce();
      expect(reads.filter((s) => s === attemptsOfSale(ended.id))).toHaveLength(2);
    });

    it('does nothing while another instance holds the writer’s lease', async () => {
      await attempt('alice', itemOf(sale, 1));
      await world.lease.anotherInstance().acquire('attempts-writer', 5_000);

      expect(await recordAttempts.runOnce()).toBe(0);
      expect(repository.saved).toEqual([]);
    });

    it('holds the lease for the configured time and hands it over when released', async () => {
      await recordAttempts.runOnce();
      expect(world.lease.acquired).toEqual([{ name: 'attempts-writer', ttlMs: 5_000 }]);

      await recordAttempts.releaseLease();
      expect(await world.lease.anotherInstance().acquire('attempts-writer', 5_000)).toBe(true);
    });
  });
});
