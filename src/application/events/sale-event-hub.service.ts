import { Injectable, Logger, Optional } from '@nestjs/common';
import { LineCloseReason, LineStanding, placeOf } from '../../domain/line/line-place';
import { UserId } from '../../domain/user/user-id.value-object';
import { WaitingLine } from '../line/waiting-line.port';
import { WaitingRoomSettings } from '../line/waiting-room-settings';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { within } from '../shared/within';
import { LedgerEvent, SaleEventFeed } from './sale-event-feed.port';
import { SaleReadModel } from '../sales/sale-read-model.port';
import { SaleRepository } from '../sales/sale.repository.port';
import { SaleCalendar } from '../sales/sale-calendar.service';

/** What buyers' pages receive about a sale (GET /sales/:id/events). */
export type SaleEvent =
  | {
      readonly type: 'snapshot';
      readonly data: { saleId: number; status: string; itemsSold: number; remaining: number; startsAt: string; endsAt: string };
    }
  | { readonly type: 'stock'; readonly data: { saleId: number; itemsSold: number; remaining: number; soldOut: number[] } }
  | { readonly type: 'sale_sold_out'; readonly data: { saleId: number; itemsSold: number } }
  | { readonly type: 'paused' | 'resumed' | 'started' | 'ended'; readonly data: { saleId: number } }
  | { readonly type: 'line'; readonly data: { saleId: number; position: number; ahead: number; etaSeconds: number } }
  | { readonly type: 'admitted'; readonly data: { saleId: number; expiresAt: string } }
  | { readonly type: 'line_closed'; readonly data: { saleId: number; reason: LineCloseReason } };

export interface SaleWatcher {
  send(event: SaleEvent): void;
  /** The hub is shutting down: end the stream. */
  close(): void;
}

/** Stock changes are sent at most this often per sale: a burst of purchases becomes one event. */
export const STOCK_EVENT_INTERVAL_MS = 250;
/**
 * Stock events an instance writes a second at most, over all its open pages: each is a write to its own
 * socket, so with many pages open the events are spaced further apart (up to 1,000 pages get 4 a second,
 * 4,000 get one a second, 40,000 one every 10 s) and the buy path keeps its share of the instance. The last
 * stock event of a sale that sold out is never held back.
 */
export const STOCK_EVENT_WRITES_PER_SECOND = 4_000;
/** How often the places of buyers waiting with an open stream are read (one script call per sale). */
export const LINE_EVENT_INTERVAL_MS = 1_000;
/**
 * Places (`line` events) an instance writes a second at most, over all its waiting pages: past that, the pages
 * whose place changed are told in turns (20,000 waiting on one instance hear every 5 s, as often as the waiting
 * page reads its place anyway). `admitted` is never held back.
 */
export const LINE_EVENT_WRITES_PER_SECOND = 4_000;
/** Watchers written to per turn of the event loop. */
const BROADCAST_SLICE = 200;

/** How long a page waits for its sale's event subscription before it is answered 503. */
const SUBSCRIBE_BOUND_MS = 2_000;

/**
 * Fans a sale's live events out to every watcher on this instance. Each watched sale has one subscription
 * to the ledger's feed, whatever the number of watchers; purchases are coalesced into at most four stock
 * events a second, so thousands of open pages cost the purchase path nothing but one publish per purchase.
 * Start and end are timed here from the sale's window.
 */
@Injectable()
export class SaleEventHub {
  private readonly logger = new Logger('SaleEventHub');
  private readonly channels = new Map<SaleId, Channel>();

  constructor(
    private readonly calendar: SaleCalendar,
    private readonly sales: SaleRepository,
    private readonly ledger: SaleReadModel,
    private readonly feed: SaleEventFeed,
    private readonly clock: Clock,
    @Optional() private readonly line?: WaitingLine,
    @Optional() private readonly room?: WaitingRoomSettings,
  ) {}

  /**
   * Starts sending the sale's events, a snapshot first, to the watcher `open` makes; `open` is called only
   * once the sale is known to exist, so an unknown sale can still be answered as a plain 404. Returns the
   * function that stops the watch.
   */
  async watch(saleId: SaleId, open: () => SaleWatcher, buyer?: UserId | null): Promise<Result<() => void, Rejection>> {
    let channel = this.channels.get(saleId);
    if (!channel) {
      const sale = this.calendar.find(saleId) ?? (await this.sales.findById(saleId));
      if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${saleId}.`));
      const lines = this.line && this.room?.enabled ? { line: this.line, defaultRate: this.room.admitPerSecond } : null;
      channel = this.channels.get(saleId) ?? new Channel(sale, this.clock, this.logger, this.pages, lines);
      if (!this.channels.has(saleId)) {
        this.channels.set(saleId, channel);
        const subscribing = channel;
        subscribing.subscribed = this.feed
          .subscribe(saleId, (e) => (e.kind === 'resync' ? void this.resync(saleId, subscribing) : subscribing.onLedgerEvent(e)))
          .then(
            (unsubscribe) => {
              subscribing.unsubscribe = unsubscribe;
              // Dropped while its subscription was on its way (its pages gave up waiting): let go of it now.
              if (this.channels.get(saleId) !== subscribing) void unsubscribe().catch(() => undefined);
            },
            (e: unknown) => {
              // Not left registered without its subscription: later watchers would get no live events at all.
              if (this.channels.get(saleId) === subscribing) this.channels.delete(saleId);
              subscribing.stop();
              throw e;
            },
          );
      }
    }
    // Every watcher waits for the channel's subscription, not only the one that asked for it: one that came
    // meanwhile would otherwise stay on a channel whose subscription failed, with no events and no error.
    // Bounded: a subscription queued while Redis is away must not hold every page of the sale until it is back.
    // Counted as joining until attached: a channel is dropped only with no watcher and nobody joining, or a
    // page still waiting for it would attach to a channel another page's failure (or last close) just dropped,
    // and hear nothing for ever.
    const watched = channel;
    watched.joining++;
    let live: Awaited<ReturnType<SaleReadModel['liveState']>>;
    try {
      await within(channel.subscribed, SUBSCRIBE_BOUND_MS, 'sale events subscription');
      live = await this.ledger.liveState(saleId);
    } catch (e) {
      // Nobody watches it, nor is about to: not left behind, holding its timers and, once Redis is back, a
      // subscription.
      watched.joining--;
      if (watched.idle()) await this.drop(saleId, watched);
      throw e;
    }
    watched.joining--;
    const watcher = open();
    watcher.send(channel.snapshot(live ?? { sold: 0, paused: false }));
    channel.watchers.add(watcher);
    if (buyer) channel.lineWatchers.set(watcher, { userId: buyer, last: '' });
    const current = channel;
    return ok(() => {
      current.watchers.delete(watcher);
      current.lineWatchers.delete(watcher);
      if (current.idle()) void this.drop(saleId, current);
    });
  }

  /** Ends every stream (on shutdown, so open connections do not hold the server open). */
  async closeAll(): Promise<void> {
    for (const [saleId, channel] of this.channels) {
      for (const w of channel.watchers) w.close();
      await this.drop(saleId, channel);
    }
  }

  watcherCount(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.watchers.size;
    return n;
  }

  /** Pages open on this instance, over all sales: the event budgets are the instance's. */
  private readonly pages: PagesOnInstance = {
    all: () => this.watcherCount(),
    waiting: () => {
      let n = 0;
      for (const c of this.channels.values()) n += c.lineWatchers.size;
      return n;
    },
  };

  /**
   * The feed may have missed events (its connection came back): every page of the sale gets a snapshot read
   * afresh, so a pause, a resume or sales announced meanwhile are not missing for good. A few tries, as the
   * read may meet Redis still coming back.
   */
  private async resync(saleId: SaleId, channel: Channel): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.channels.get(saleId) !== channel) return;
      try {
        const live = await this.ledger.liveState(saleId);
        if (this.channels.get(saleId) === channel) channel.resync(live ?? { sold: 0, paused: false });
        return;
      } catch (e) {
        this.logger.warn(`sale ${saleId}: state not read again after the event feed came back: ${(e as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  }

  private async drop(saleId: SaleId, channel: Channel): Promise<void> {
    if (this.channels.get(saleId) !== channel) return;
    this.channels.delete(saleId);
    channel.stop();
    await channel.unsubscribe?.().catch(() => undefined);
  }
}

class Channel {
  readonly watchers = new Set<SaleWatcher>();
  /** Watchers who are buyers (waiting room on): each gets its own place in line. */
  readonly lineWatchers = new Map<SaleWatcher, { userId: UserId; last: string }>();
  private lineClosed = false;
  private lineBusy = false;
  /** Where the next read's turn starts among the moved places, when not all may be told at once. */
  private lineTurn = 0;
  /** Watches under way that have not attached yet (waiting for the subscription or the sale's state). */
  joining = 0;
  unsubscribe?: () => Promise<void>;
  /** The sale's subscription on the feed, made once for the channel; watchers wait for it. */
  subscribed: Promise<void> = Promise.resolve();
  private readonly total: number;
  private sold = 0;
  private soldOut: number[] = [];
  private dirty = false;
  private announcedSoldOut = false;
  /** Stock ticks since the last stock event was sent. */
  private ticksSinceStock = Infinity;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly sale: Sale,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly pagesOnInstance: PagesOnInstance,
    private readonly lines: { line: WaitingLine; defaultRate: number } | null = null,
  ) {
    this.total = sale.unitsOnSale;
    this.timers.push(setInterval(() => this.flush(), STOCK_EVENT_INTERVAL_MS).unref());
    if (lines) this.timers.push(setInterval(() => void this.tellPlaces(lines.line, lines.defaultRate), LINE_EVENT_INTERVAL_MS).unref());
    this.at(sale.startsAt, 'started');
    this.at(sale.endsAt, 'ended');
  }

  snapshot(live: { sold: number; paused: boolean }): SaleEvent {
    this.sold = Math.max(this.sold, live.sold);
    const now = this.clock.now();
    return {
      type: 'snapshot',
      data: {
        saleId: this.sale.id,
        status: this.sale.statusAt(now, live),
        itemsSold: live.sold,
        remaining: Math.max(0, this.total - live.sold),
        startsAt: this.sale.startsAt.toISOString(),
        endsAt: this.sale.endsAt.toISOString(),
      },
    };
  }

  /** A snapshot to every page, read afresh after the feed may have missed events. */
  resync(live: { sold: number; paused: boolean }): void {
    this.broadcast(this.snapshot(live));
  }

  onLedgerEvent(e: Exclude<LedgerEvent, { kind: 'resync' }>): void {
    if (e.kind === 'sold') {
      this.sold = Math.max(this.sold, e.unitsSold);
      this.soldOut.push(...e.soldOut);
      this.dirty = true;
      return;
    }
    if (e.kind === 'line_closed') {
      void this.tellAdmittedThenClose(e.reason);
      return;
    }
    this.broadcast({ type: e.kind, data: { saleId: this.sale.id } });
  }

  /**
   * An operator's close is published at once, usually before the once-a-second read of places has seen the
   * last admissions: one more read first, so that a buyer admitted just before it hears so, and not only
   * that the line closed (their admission stays valid until it runs out).
   */
  private async tellAdmittedThenClose(reason: LineCloseReason): Promise<void> {
    const lines = this.lines;
    // Not once the sale has ended: an admission to a finished sale is worth nothing.
    if (!this.lineClosed && lines && reason !== 'ended' && this.lineWatchers.size > 0) {
      const watching = [...this.lineWatchers];
      const seen = await lines.line
        .watch(
          this.sale.id,
          watching.map(([, w]) => w.userId),
          lines.defaultRate,
        )
        .catch(() => null);
      seen?.standings.forEach((standing, i) => {
        if (standing.kind !== 'admitted') return;
        const [watcher, w] = watching[i]!;
        const told = this.told(watcher, w, standing);
        if (told) {
          told.place.last = told.key;
          this.tell(told);
        }
      });
    }
    this.closeLine(reason);
  }

  private closeLine(reason: LineCloseReason): void {
    if (this.lineClosed) return;
    this.lineClosed = true;
    this.broadcast({ type: 'line_closed', data: { saleId: this.sale.id, reason } });
  }

  /**
   * Reads the places of every buyer watching here in one call and tells each whose place changed (so a
   * quiet line sends nothing); an open stream counts as the buyer's heartbeat.
   */
  private async tellPlaces(line: WaitingLine, defaultRate: number): Promise<void> {
    if (this.lineBusy || this.lineClosed || this.lineWatchers.size === 0) return;
    this.lineBusy = true;
    try {
      const watching = [...this.lineWatchers];
      const seen = await line.watch(
        this.sale.id,
        watching.map(([, w]) => w.userId),
        defaultRate,
      );
      const admitted: Told[] = [];
      const moved: Told[] = [];
      watching.forEach(([watcher, w], i) => {
        const told = this.told(watcher, w, seen.standings[i]!);
        if (told) (told.event.type === 'admitted' ? admitted : moved).push(told);
      });
      if (seen.closed) {
        // Admissions given before an operator closed the line stay valid: their buyers hear of them first.
        for (const t of seen.closed === 'ended' ? [] : admitted) {
          t.place.last = t.key;
          this.tell(t);
        }
        return this.closeLine(seen.closed);
      }
      // In a moving line nearly every place changes each second: thousands of writes, sliced like a broadcast.
      const told = [...admitted, ...this.inTurn(moved)];
      for (const t of told) t.place.last = t.key;
      inSlices(told, (t) => this.tell(t));
    } catch (e) {
      this.logger.warn(`reading line places failed: ${(e as Error).message}`);
    } finally {
      this.lineBusy = false;
    }
  }

  /** What to tell a watcher of its standing, unless it was told that last. */
  private told(watcher: SaleWatcher, w: { last: string }, standing: LineStanding): Told | null {
    if (standing.kind === 'absent' || standing.kind === 'closed') return null;
    const place = placeOf(standing);
    const event: SaleEvent =
      place.status === 'admitted'
        ? { type: 'admitted', data: { saleId: this.sale.id, expiresAt: place.expiresAt.toISOString() } }
        : { type: 'line', data: { saleId: this.sale.id, position: place.position, ahead: place.ahead, etaSeconds: place.etaSeconds } };
    const key = JSON.stringify(event);
    return key === w.last ? null : { watcher, event, place: w, key };
  }

  private tell(t: Told): void {
    if (!this.lineWatchers.has(t.watcher)) return;
    try {
      t.watcher.send(t.event);
    } catch {
      this.lineWatchers.delete(t.watcher);
    }
  }

  /**
   * The moved places this sale may tell now: all of them while within its share of the instance's budget
   * (LINE_EVENT_WRITES_PER_SECOND); past it, that many, taken in turns so that every page is told in its turn.
   * The others keep their last place and are told on a later read.
   */
  private inTurn(moved: Told[]): Told[] {
    const share = (this.lineWatchers.size / Math.max(1, this.pagesOnInstance.waiting())) * LINE_EVENT_WRITES_PER_SECOND;
    const budget = Math.max(1, Math.floor((share * LINE_EVENT_INTERVAL_MS) / 1_000));
    if (moved.length <= budget) return moved;
    const from = this.lineTurn % moved.length;
    this.lineTurn = from + budget;
    return [...moved, ...moved].slice(from, from + budget);
  }

  /** No watcher and nobody about to be one: the channel may go. */
  idle(): boolean {
    return this.watchers.size === 0 && this.joining === 0;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  private flush(): void {
    this.ticksSinceStock++;
    if (!this.dirty) return;
    const remaining = Math.max(0, this.total - this.sold);
    // Counted in ticks, not by the clock, so that timer drift never lets a tick through early.
    const every = Math.ceil(this.pagesOnInstance.all() / ((STOCK_EVENT_WRITES_PER_SECOND * STOCK_EVENT_INTERVAL_MS) / 1_000));
    if (remaining > 0 && this.ticksSinceStock < every) return;
    this.ticksSinceStock = 0;
    this.broadcast({ type: 'stock', data: { saleId: this.sale.id, itemsSold: this.sold, remaining, soldOut: this.soldOut } });
    this.soldOut = [];
    this.dirty = false;
    if (remaining === 0 && !this.announcedSoldOut) {
      this.announcedSoldOut = true;
      this.broadcast({ type: 'sale_sold_out', data: { saleId: this.sale.id, itemsSold: this.sold } });
    }
  }

  private at(when: Date, type: 'started' | 'ended'): void {
    const delay = when.getTime() - this.clock.now().getTime();
    // setTimeout cannot wait longer than ~24.8 days; a sale that far away is announced by a later watcher.
    if (delay <= 0 || delay > 2_000_000_000) return;
    this.timers.push(setTimeout(() => this.broadcast({ type, data: { saleId: this.sale.id } }), delay).unref());
  }

  /**
   * Sends an event to every watcher, a slice at a time with a turn of the event loop in between, so that
   * thousands of open pages never hold up the requests being served (the bench measures this).
   */
  private broadcast(event: SaleEvent): void {
    inSlices([...this.watchers], (w) => {
      try {
        w.send(event);
      } catch (e) {
        this.logger.warn(`dropping a watcher: ${(e as Error).message}`);
        this.watchers.delete(w);
      }
    });
  }
}

interface PagesOnInstance {
  all(): number;
  /** Pages of waiting buyers (their places are sent to them). */
  waiting(): number;
}

/** A place to tell a waiting buyer's page. */
interface Told {
  readonly watcher: SaleWatcher;
  readonly event: SaleEvent;
  readonly place: { last: string };
  readonly key: string;
}

/** Calls `send` for each item, BROADCAST_SLICE of them per turn of the event loop (the first slice at once). */
function inSlices<T>(items: readonly T[], send: (item: T) => void): void {
  const sendSlice = (from: number) => {
    const to = Math.min(from + BROADCAST_SLICE, items.length);
    for (let i = from; i < to; i++) send(items[i]!);
    if (to < items.length) setImmediate(sendSlice, to);
  };
  sendSlice(0);
}
