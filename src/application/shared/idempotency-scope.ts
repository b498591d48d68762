/**
 * The ledger's name for a client's Idempotency-Key: one namespace per kind of request and owner (a buyer, or
 * none when the request names no buyer). The owner's length comes first, so no choice of characters in an
 * owner or a key can make two owners meet: user "org" with key "a:1" and user "org:a" with key "1" differ.
 */
export function idempotencyScope(kind: 'checkout' | 'purchase', owner: string | null, key: string): string {
  return owner === null ? `${kind}::${key}` : `${kind}:${owner.length}:${owner}:${key}`;
}
