/** Verifies bearer tokens (JWT) issued by an external identity provider. */
export abstract class TokenVerifier {
  /**
   * The token's subject (`sub`) when its signature, expiry, issuer and audience check out; otherwise why not.
   * Throws TokenKeysUnavailableError when the keys to check it with cannot be fetched.
   */
  abstract verify(token: string): Promise<{ ok: true; subject: string } | { ok: false; reason: string }>;
}
