import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/**
 * Writes the confirming primary must hold, as the caller made or read them on its own connection:
 * - `checkouts`: purchases, each as its checkout code's record holds it once made (spent, with this order;
 *   null: nothing bought);
 * - `outbox`: outbox entries (their opaque ids, from PurchaseOutbox.read) with the order each carries.
 */
export type WrittenEvidence =
  | { readonly in: 'checkouts'; readonly purchases: readonly { readonly code: string; readonly orderId: string | null }[] }
  | { readonly in: 'outbox'; readonly entries: readonly { readonly entryId: string; readonly orderId: string }[] };

/** Orders read from the checkout records, as the purchases that made them. */
export function purchasesOf(orders: readonly Order[]): WrittenEvidence {
  return { in: 'checkouts', purchases: orders.map((o) => ({ code: o.checkoutCode, orderId: o.id })) };
}

/**
 * "Confirmed means kept": Redis replicates asynchronously, so a write the primary holds may be lost if the
 * primary dies before a replica has it. With replica durability (PURCHASE_DURABILITY), this waits until at
 * least one replica holds every write made to a sale's keys so far; with none it resolves at once.
 */
export abstract class ReplicaConfirmation {
  /**
   * Throws ReplicaNotConfirmedError (replica-confirmation.errors.ts) when no replica confirms in time, or when
   * the primary that confirms does not hold `written`: what the caller made or read on its own connection,
   * which may have followed a failover at another moment and reached another primary.
   */
  abstract confirmSale(saleId: SaleId, written?: WrittenEvidence): Promise<void>;
  /** 'replica' or 'none', as configured or (unset) as decided from the topology; null until Redis was reached. */
  abstract readonly mode: 'none' | 'replica' | null;
}
