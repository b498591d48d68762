import { IsBoolean, IsISO8601, IsInt, Matches, Max, Min } from 'class-validator';
import { CreateSaleCommand, MAX_ITEMS_PER_SALE, MAX_UNITS_PER_ITEM } from '../../../application/sales/create-sale.use-case';
import { MAX_SALE_COUNT } from '../../../domain/sale/sale-terms.value-object';
import { OptionalField } from '../admin-http';

/**
 * A time with its zone (Z or an offset): without one it would be read in the server's own zone. Shared with
 * the CLI door.
 */
export const WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ZONE_MESSAGE = { message: 'must be an ISO time with its zone, e.g. 2026-12-10T10:00:00Z or 2026-12-10T11:00:00+01:00' };

/**
 * POST /admin/sales. The same fields as `sale:create`, with the same defaults: those the use case applies
 * (saleCap: every unit; unitsPerItem: 1; onePurchasePerUser: false), so both doors create the same sale.
 */
export class CreateSaleRequest {
  @IsISO8601({ strict: true })
  @Matches(WITH_ZONE, ZONE_MESSAGE)
  startsAt!: string;

  @IsISO8601({ strict: true })
  @Matches(WITH_ZONE, ZONE_MESSAGE)
  endsAt!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_ITEMS_PER_SALE)
  items!: number;

  @IsInt()
  @Min(1)
  @Max(MAX_SALE_COUNT)
  perUserLimit!: number;

  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_SALE_COUNT)
  saleCap?: number;

  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_UNITS_PER_ITEM)
  unitsPerItem?: number;

  @OptionalField()
  @IsBoolean()
  onePurchasePerUser?: boolean;

  toCommand(): CreateSaleCommand {
    return {
      startsAt: new Date(this.startsAt),
      endsAt: new Date(this.endsAt),
      itemsTotal: this.items,
      perUserLimit: this.perUserLimit,
      saleCap: this.saleCap,
      unitsPerItem: this.unitsPerItem,
      onePurchasePerUser: this.onePurchasePerUser,
    };
  }
}
