import { Logger } from '@nestjs/common';
import { SaleCalendar } from '../../src/application/sales/sale-calendar.service';
import { SaleLoader } from '../../src/application/sales/sale-loader.service';
import { SaleSettings } from '../../src/application/sales/sale-settings';
import { SoldOutItems } from '../../src/application/sales/sold-out-items.service';
import { ItemSet } from '../../src/domain/sale/item-set.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { FakeReplicaConfirmation } from './doubles/fake-replica-confirmation';
import { FixedClock } from './doubles/fixed-clock';
import { InMemoryCheckoutAttemptLog } from './doubles/in-memory-checkout-attempt-log';
import { InMemoryLease } from './doubles/in-memory-lease';
import { InMemoryLedger } from './doubles/in-memory-ledger';
import { InMemoryOrderQueue } from './doubles/in-memory-order-queue';
import { InMemoryOrderRepository } from './doubles/in-memory-order-repository';
import { InMemoryPurchaseOutbox } from './doubles/in-memory-purchase-outbox';
import { InMemorySaleEventFeed } from './doubles/in-memory-sale-event-feed';
import { InMemorySaleRegistry } from './doubles/in-memory-sale-registry';
import { InMemorySaleRepository } from './doubles/in-memory-sale-repository';
import { RecordingMetrics } from './doubles/recording-metrics';
import { SequentialIdGenerator } from './doubles/sequential-id-generator';
import { NOW, aSaleSettings, firstItemIdOf, itemsOf } from './mothers/sale.mother';

// Use cases log through Nest's Logger; unit tests assert on behaviour, not on console output.
Logger.overrideLogger(false);

/**
 * The in-memory doubles wired together as src/modules wires the real adapters: the ledger appends orders to
 * the outbox, logs attempts and announces events; the order writer marks items sold in the sale
 * repository; the calendar reads the registry. Tests build the use case under test with `new` from these.
 */
export class World {
  readonly clock: FixedClock;
  readonly ids = new SequentialIdGenerator();
  readonly metrics = new RecordingMetrics();
  readonly outbox: InMemoryPurchaseOutbox;
  readonly attempts: InMemoryCheckoutAttemptLog;
  readonly events = new InMemorySaleEventFeed();
  readonly ledger: InMemoryLedger;
  readonly registry = new InMemorySaleRegistry();
  readonly settings: SaleSettings;
  readonly calendar: SaleCalendar;
  readonly soldOut: SoldOutItems;
  readonly sales = new InMemorySaleRepository();
  readonly orders: InMemoryOrderRepository;
  readonly queue: InMemoryOrderQueue;
  readonly lease: InMemoryLease;
  readonly loader: SaleLoader;
  readonly replicas = new FakeReplicaConfirmation();

  constructor(options: { now?: Date; settings?: SaleSettings; acknowledgedChunk?: number } = {}) {
    this.clock = new FixedClock(options.now ?? NOW);
    this.settings = options.settings ?? aSaleSettings();
    this.outbox = new InMemoryPurchaseOutbox(this.clock);
    this.attempts = new InMemoryCheckoutAttemptLog(this.clock);
    this.ledger = new InMemoryLedger(this.clock, {
      outbox: this.outbox,
      attempts: this.attempts,
      events: this.events,
      acknowledgedChunk: options.acknowledgedChunk,
    });
    this.calendar = new SaleCalendar(this.registry, this.settings, this.clock);
    this.soldOut = new SoldOutItems(this.calendar);
    this.orders = new InMemoryOrderRepository(this.sales);
    this.queue = new InMemoryOrderQueue(this.clock);
    this.lease = new InMemoryLease(this.clock);
    this.loader = new SaleLoader(this.sales, this.ledger, this.ledger, this.registry, this.calendar);
  }

  /** The sale in the database with its items (see itemOf), as an operator or the scheduler created it. */
  stored(...sales: Sale[]): void {
    for (const sale of sales) this.sales.add(sale, firstItemIdOf(sale));
  }

  /** The sale stored, loaded into the ledger and known to this instance, as the scheduler leaves it. */
  async live(...sales: Sale[]): Promise<void> {
    for (const sale of sales) {
      this.stored(sale);
      await this.loader.ensureLoaded(sale);
    }
  }

  /** The sale known to this instance's calendar only (neither stored nor loaded). */
  known(...sales: Sale[]): void {
    for (const sale of sales) this.calendar.remember(sale, ItemSet.of(itemsOf(sale)));
  }
}
