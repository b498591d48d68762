import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { OptionalField } from '../admin-http';

/** POST /admin/orders/reconcile; the options of `orders:reconcile`. */
export class ReconcileOrdersRequest {
  @OptionalField()
  @IsBoolean()
  force?: boolean;

  @OptionalField()
  @IsInt()
  @Min(1)
  saleId?: number;

  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  graceMs?: number;
}
