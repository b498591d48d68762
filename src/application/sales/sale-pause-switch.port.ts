import { SaleId } from '../../domain/sale/sale-id.value-object';

/** The pause flag of a loaded sale in the ledger, which checkout and purchase read atomically. */
export abstract class SalePauseSwitch {
  /** Pauses or resumes a loaded sale, and tells every instance. False when it is not loaded. */
  abstract setPaused(saleId: SaleId, paused: boolean): Promise<boolean>;
}
