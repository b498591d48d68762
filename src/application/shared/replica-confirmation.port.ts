import { SaleId } from '../../domain/sale/sale-id.value-object';

/**
 * "Confirmed means kept": Redis replicates asynchronously, so a write the primary holds may be lost if the
 * primary dies before a replica has it. With replica durability (PURCHASE_DURABILITY), this waits until at
 * least one replica holds every write made to a sale's keys so far; with none it resolves at once.
 */
export abstract class ReplicaConfirmation {
  /** Throws ReplicaNotConfirmedError (replica-confirmation.errors.ts) when no replica confirms in time. */
  abstract confirmSale(saleId: SaleId): Promise<void>;
  /** 'replica' or 'none', as configured or (unset) as decided from the topology; null until Redis was reached. */
  abstract readonly mode: 'none' | 'replica' | null;
}
