import { Rejection } from '../../../domain/shared/rejection';

/** A refusal raised before a controller runs (by a guard); the problem filter answers it as problem+json. */
export class RejectionException extends Error {
  constructor(
    readonly rejection: Rejection,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(rejection.detail);
  }
}
