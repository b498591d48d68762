import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
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
    else if (config.JWT_JWKS_URL) {
      const url = new URL(config.JWT_JWKS_URL);
      this.key = withFetchPause(createRemoteJWKSet(url, { timeoutDuration: JWKS_TIMEOUT_MS, agent: stallProofAgent(url) }));
    } else if (config.JWT_JWKS_FILE) this.key = createLocalJWKSet(JSON.parse(readFileSync(config.JWT_JWKS_FILE, 'utf8')));
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
        throw new TokenKeysUnavailableError(`cannot use the keys at JWT_JWKS_URL: ${(e as Error).message}`, { cause: e });
      }
      if (e instanceof errors.JWTExpired) return { ok: false, reason: 'it has expired' };
      if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'its signature does not match' };
      if (e instanceof errors.JOSEError) return { ok: false, reason: e.message };
      throw e;
    }
  }
}

/** How long the JWKS endpoint may take to answer, and then to send each next part of its body. */
const JWKS_TIMEOUT_MS = 5_000;

/**
 * An agent for jose's JWKS fetches that keeps a misbehaving endpoint from hurting the process:
 * - a connection that falls silent is closed: jose's own timeout covers only the wait for the response's head,
 *   so an endpoint that sent its head and then stalled held jose's one shared fetch, and with it every request
 *   that checks a token, for good. Closed without an error, so jose's read of the body fails ("aborted").
 * - a request gets an error listener of its own: jose (5.x, node) keeps one only until its head timeout, so
 *   a connection reset mid-body after that would be an unhandled 'error' event, which ends the process. jose
 *   learns of it through the body's read all the same.
 * addRequest is Node's own (undocumented but long-standing) hook through which every request reaches its agent.
 */
function stallProofAgent(url: URL): http.Agent {
  const agent = (url.protocol === 'https:' ? new https.Agent() : new http.Agent()) as http.Agent & {
    addRequest(req: http.ClientRequest, ...rest: unknown[]): void;
  };
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = connect(options, callback) as Socket | null | undefined;
    socket?.setTimeout(JWKS_TIMEOUT_MS, () => socket.destroy());
    return socket;
  };
  const addRequest = agent.addRequest.bind(agent);
  agent.addRequest = (req, ...rest) => {
    req.on('error', () => undefined);
    addRequest(req, ...rest);
  };
  return agent;
}

/** After a failed fetch of the keys, how long no token may start another. */
const FETCH_PAUSE_MS = 1_000;

/** The provider away, said without asking it again (FETCH_PAUSE_MS after a failed fetch). */
class KeysFetchPaused extends Error {
  override readonly name = 'KeysFetchPaused';
}

/**
 * The remote key set, but after a failed fetch no token starts another for FETCH_PAUSE_MS. jose's cooldown
 * starts only after a fetch that succeeded: while the provider fails fast, every token whose keys are stale
 * or unknown started a new fetch as soon as the last one failed, an instance hammering a provider already in
 * trouble. Meanwhile keys already held still verify; a token that needs others is answered as the provider
 * being away (503).
 */
function withFetchPause(remote: ReturnType<typeof createRemoteJWKSet>): JWTVerifyGetKey {
  let failedAt = -Infinity;
  return async (header, token) => {
    if (Date.now() - failedAt < FETCH_PAUSE_MS && !remote.reloading) {
      const held = remote.fresh ? remote.jwks() : undefined;
      if (!held) throw new KeysFetchPaused('the last fetch of the keys failed under a second ago');
      try {
        return await createLocalJWKSet(held)(header, token);
      } catch (e) {
        if (e instanceof errors.JWKSNoMatchingKey)
          throw new KeysFetchPaused('no key held matches, and the last fetch failed under a second ago');
        throw e;
      }
    }
    try {
      return await remote(header, token);
    } catch (e) {
      if (providerUnavailable(e)) failedAt = Date.now();
      throw e;
    }
  };
}

/** jose's ways of saying the JWKS endpoint failed (as opposed to the token being bad). */
function providerUnavailable(e: unknown): boolean {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  if (e instanceof errors.JOSEError) return /JSON Web Key Set HTTP response/.test(e.message);
  // Anything but jose's verdict on the token is the provider's trouble: the fetch failing (refused, reset,
  // DNS, TLS), a key it sent that cannot be imported, or our own pause after a failed fetch.
  return true;
}
