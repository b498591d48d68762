import { SaleTerms } from '../../domain/sale/sale-terms.value-object';

/** How recurring sales are run; built from configuration (infrastructure/config). */
export class SaleSettings {
  constructor(
    /** Length of each recurring sale; sales start at multiples of it since the epoch (3600 s: every UTC hour). */
    readonly periodMs: number,
    readonly terms: SaleTerms,
    /** How long a sale's live state is kept after it ends (spent codes still answer, relays drain). */
    readonly retentionMs: number,
    /** Whether this instance creates and loads the recurring sales: SALE_SCHEDULER_ENABLED. */
    readonly schedulerEnabled = true,
    /** How often it checks that the current and next sale exist and are loaded: SALE_SCHEDULER_INTERVAL_MS. */
    readonly schedulerIntervalMs = 5_000,
    /**
     * How often, scheduler on or off, every sale not ended is checked to be loaded and registered, and loaded
     * again if Redis lost it (0: never): SALE_KEEPER_INTERVAL_MS.
     */
    readonly keeperIntervalMs = 5_000,
  ) {}
}
