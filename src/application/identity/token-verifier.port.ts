/**
 * The identity provider's keys could not be had (its JWKS endpoint down, slow or answering nonsense): the
 * token may well be good, so this is the service's trouble (503), not the client's (401).
 */
export class TokenKeysUnavailableError extends Error {
  override readonly name = 'TokenKeysUnavailableError';
}

/** Verifies bearer tokens (JWT) issued by an external identity provider. */
export abstract class TokenVerifier {
  /**
   * The token's subject (`sub`) when its signature, expiry, issuer and audience check out; otherwise why not.
   * Throws TokenKeysUnavailableError when the keys to check it with cannot be fetched.
   */
  abstract verify(token: string): Promise<{ ok: true; subject: string } | { ok: false; reason: string }>;
}
