import { createHash, randomUUID } from 'node:crypto';
import { IdempotencyRequest } from '../../application/shared/idempotency';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { runScript } from './lua-scripts';
import type { RedisConnections } from './redis-connections';
import { saleKeys } from './sale-keys';
import { decodeIdempotencyClaim } from './script-replies';

/** How long an Idempotency-Key stays claimed by a request that never finishes (its process died). */
const IDEMPOTENCY_CLAIM_MS = 10_000;

/** A work script's raw reply, and whether it is the stored reply to an earlier request with the same key. */
export interface IdempotentReply {
  readonly reply: unknown;
  readonly replayed: boolean;
}

/**
 * Runs a work script (checkout.lua, purchase.lua) under an Idempotency-Key (calls without one go through the
 * batch scripts): claim the key (or get the stored reply, or learn that it is busy or was used for something
 * else), then the work script, which checks the claim and stores its reply in the same atomic step
 * (scripts/lua/lib/idempotency.lua). `work` gets the record's key and the claim token.
 */
export async function runIdempotently(
  connections: RedisConnections,
  saleId: SaleId,
  idempotency: IdempotencyRequest,
  work: (idemKey: string, token: string) => Promise<unknown>,
): Promise<IdempotentReply> {
  const redis = connections.command;
  const idemKey = saleKeys(saleId).idempotency(createHash('sha256').update(idempotency.key).digest('base64url'));
  const token = randomUUID();
  const claim = decodeIdempotencyClaim(
    await connections.bounded(runScript(redis, 'idempotency-claim', [idemKey], [idempotency.fingerprint, token, IDEMPOTENCY_CLAIM_MS])),
  );
  switch (claim.kind) {
    case 'claimed':
      return { reply: await connections.bounded(work(idemKey, token)), replayed: false };
    case 'done':
      return { reply: claim.reply, replayed: true };
    case 'mismatch':
      return { reply: ['idempotency_key_reused'], replayed: false };
    case 'in_progress':
      return { reply: ['idempotency_key_in_use'], replayed: false };
  }
}
