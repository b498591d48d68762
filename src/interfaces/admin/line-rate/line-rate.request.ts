import { IsInt, Max, Min } from 'class-validator';
import { MAX_LINE_RATE } from '../../../application/line/line-admin.use-case';

export class LineRateRequest {
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_RATE)
  perSecond!: number;
}
