import { ReplicaNotConfirmedError } from '../../../src/application/shared/replica-confirmation.errors';
import { ReplicaConfirmation } from '../../../src/application/shared/replica-confirmation.port';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';

/** Replicas that confirm (or, once a test says so, do not), and a record of what was confirmed. */
export class FakeReplicaConfirmation implements ReplicaConfirmation {
  readonly mode = 'replica' as const;
  confirming = true;
  readonly confirmed: SaleId[] = [];

  async confirmSale(saleId: SaleId): Promise<void> {
    if (!this.confirming) throw new ReplicaNotConfirmedError('no replica confirmed (test)');
    this.confirmed.push(saleId);
  }
}
