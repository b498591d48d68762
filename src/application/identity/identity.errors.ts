/**
 * The identity provider's keys could not be had (its JWKS endpoint down, slow or answering nonsense): the
 * token may well be good, so this is the service's trouble (503), not the client's (401).
 */
export class TokenKeysUnavailableError extends Error {
  override readonly name = 'TokenKeysUnavailableError';
}
