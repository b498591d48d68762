import { SaleStatus } from '../../domain/sale/sale.entity';

/** A sale as the API shows it. */
export interface SaleView {
  readonly id: number;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: SaleStatus;
  readonly itemsTotal: number;
  readonly itemsSold: number;
  /** Units still for sale (the cap may end the sale before the items run out). */
  readonly itemsRemaining: number;
  readonly perUserLimit: number;
  readonly saleCap: number;
  readonly onePurchasePerUser: boolean;
}
