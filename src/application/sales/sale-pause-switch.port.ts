import { SaleId } from '../../domain/sale/sale-id.value-object';

/** The pause flag of a loaded sale in the ledger, which checkout and purchase read atomically. */
export abstract class SalePauseSwitch {
  /** Pauses or resumes a loaded sale, and tells every instance. False when it is not loaded. */
  abstract setPaused(saleId: SaleId, paused: boolean): Promise<boolean>;
  /**
   * Pauses a loaded sale only if it was switched (paused or resumed) no time since the caller read `switches`
   * from its live state: a repair decided on that read must not undo a newer switch. 'switched' when it was.
   */
  abstract pauseUnlessSwitched(saleId: SaleId, switches: number): Promise<'paused' | 'switched' | 'not_loaded'>;
}
