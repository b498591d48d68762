import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { JWTVerifyGetKey, createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { TokenKeysUnavailableError } from '../../application/identity/identity.errors';
import { TokenVerifier } from '../../application/identity/token-verifier.port';
import { AppConfig } from '../config/app-config';

/**
 * JWT verification with jose: HS256 with JWT_SECRET, or the provider's public keys from JWT_JWKS_URL (fetched
 * and cached by jose) or JWT_JWKS_FILE. Expiry is always checked; issuer and audience when configured.
 */
@Injectable()
export class JoseTokenVerifier extends TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey | null;

  constructor(private readonly config: AppConfig) {
    super();
    // Keys are read only where tokens are (a key source left set in another mode is not opened).
    if (config.AUTH_MODE !== 'jwt') this.key = null;
    else if (config.JWT_SECRET) this.key = new TextEncoder().encode(config.JWT_SECRET);
    else if (config.JWT_JWKS_URL) this.key = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    else if (config.JWT_JWKS_FILE) this.key = createLocalJWKSet(JSON.parse(readFileSync(config.JWT_JWKS_FILE, 'utf8')));
    else this.key = null;
  }

  async verify(token: string): Promise<{ ok: true; subject: string } | { ok: false; reason: string }> {
    if (!this.key) return { ok: false, reason: 'no key configured' };
    try {
      const { payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.config.JWT_SECRET ? ['HS256'] : ['RS256', 'ES256', 'PS256', 'EdDSA'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      });
      return { ok: true, subject: payload.sub! };
    } catch (e) {
      if (this.config.JWT_JWKS_URL && providerUnavailable(e)) {
        throw new TokenKeysUnavailableError(`cannot fetch the keys at JWT_JWKS_URL: ${(e as Error).message}`, { cause: e });
      }
      if (e instanceof errors.JWTExpired) return { ok: false, reason: 'it has expired' };
      if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'its signature does not match' };
      if (e instanceof errors.JOSEError) return { ok: false, reason: e.message };
      throw e;
    }
  }
}

/** jose's ways of saying the JWKS endpoint failed (as opposed to the token being bad). */
function providerUnavailable(e: unknown): boolean {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  if (e instanceof errors.JOSEError) return /JSON Web Key Set HTTP response/.test(e.message);
  // Network errors from the fetch itself (refused, reset, DNS) are plain errors with a code.
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
