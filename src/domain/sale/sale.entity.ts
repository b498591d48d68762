import { SaleId } from './sale-id.value-object';
import { SaleTerms, assertValidTerms } from './sale-terms.value-object';
import { SaleWindow } from './sale-window.value-object';

export type SaleStatus = 'scheduled' | 'active' | 'paused' | 'sold_out' | 'ended';

/** A sale as planned: when it runs and on which terms. Live counters (sold, paused) come from the store. */
export class Sale {
  private constructor(
    readonly id: SaleId,
    readonly window: SaleWindow,
    readonly terms: SaleTerms,
  ) {}

  static restore(id: SaleId, window: SaleWindow, terms: SaleTerms): Sale {
    return new Sale(id, window, assertValidTerms(terms));
  }

  get startsAt(): Date {
    return this.window.startsAt;
  }

  get endsAt(): Date {
    return this.window.endsAt;
  }

  /** Units that can be sold in all: every unit of every item, unless the cap is lower. */
  get unitsOnSale(): number {
    return Math.min(this.terms.saleCap, this.terms.itemsTotal * this.terms.unitsPerItem);
  }

  isOpenAt(at: Date): boolean {
    return this.window.phaseAt(at) === 'open';
  }

  /** The status a buyer sees, given the live counters. */
  statusAt(at: Date, live: { readonly sold: number; readonly paused: boolean }): SaleStatus {
    const phase = this.window.phaseAt(at);
    if (phase === 'scheduled') return 'scheduled';
    if (phase === 'ended') return 'ended';
    if (live.sold >= this.unitsOnSale) return 'sold_out';
    return live.paused ? 'paused' : 'active';
  }
}
