import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** POST /admin/orders/reconcile; the options of `orders:reconcile`. */
export class ReconcileOrdersRequest {
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  saleId?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  graceMs?: number;
}
