import { ArrayMaxSize, IsArray, IsOptional, IsString } from 'class-validator';

/** POST /admin/queue/retry; the arguments of `queue:retry` (no job ids: all of them). */
export class RetryDeadLettersRequest {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  jobIds?: string[];
}
