import { Rejection } from '../../domain/shared/rejection';
import { Result } from '../../domain/shared/result';

/** A use case's answer, and whether it is the stored answer to an earlier request with the same Idempotency-Key. */
export interface Outcome<T> {
  readonly result: Result<T, Rejection>;
  readonly replayed: boolean;
}
