/** Verifies bearer tokens (JWT) issued by an external identity provider. */
export abstract class TokenVerifier {
  /** The token's subject (`sub`) when its signature, expiry, issuer and audience check out; otherwise why not. */
  abstract verify(token: string): Promise<{ ok: true; subject: string } | { ok: false; reason: string }>;
}
