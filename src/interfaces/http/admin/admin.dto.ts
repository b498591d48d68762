import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsInt, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';
import { InvalidParam } from '../request-params';

/** POST /admin/sales */
export class CreateSaleDto {
  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  @IsInt()
  @Min(1)
  @Max(1_000_000)
  items!: number;

  @IsInt()
  @Min(1)
  saleCap!: number;

  @IsInt()
  @Min(1)
  perUserLimit!: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  unitsPerItem?: number;

  @IsOptional()
  @IsBoolean()
  onePurchasePerUser?: boolean;
}

/** POST /admin/orders/reconcile */
export class ReconcileDto {
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

/** POST /admin/queue/retry */
export class RetryDeadLettersDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  jobIds?: string[];
}

/** Checks a JSON body against a DTO; the first problem names its field. */
export function validBody<T extends object>(type: new () => T, body: unknown): T | InvalidParam {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    return new InvalidParam('body', 'The body must be a JSON object.');
  }
  const dto = plainToInstance(type, body ?? {});
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  const first = errors[0];
  if (!first) return dto;
  const why = Object.values(first.constraints ?? {})[0] ?? 'is not valid';
  return new InvalidParam(first.property, `${first.property}: ${why}.`);
}
