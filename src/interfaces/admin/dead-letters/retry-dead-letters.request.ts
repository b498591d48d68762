import { ArrayMaxSize, IsArray, IsString } from 'class-validator';
import { OptionalField } from '../admin-http';

/** POST /admin/queue/retry; the arguments of `queue:retry` (no job ids: all of them). */
export class RetryDeadLettersRequest {
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  jobIds?: string[];
}
