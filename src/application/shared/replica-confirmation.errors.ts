/**
 * No replica confirmed in time. The write may well have happened (on the primary): the buyer is told to
 * retry with the same code or Idempotency-Key, which returns the stored result once it is safe.
 */
export class ReplicaNotConfirmedError extends Error {
  override readonly name = 'ReplicaNotConfirmedError';
}
