/**
 * The identity provider's keys could not be had (its JWKS endpoint down, slow or answering nonsense): the
 * token may well be good, so this is the service's trouble (503), not the client's (401).
 */
export class TokenKeysUnavailableError extends Error {
  override readonly name = 'TokenKeysUnavailableError';
}

/**
 * A sign-in code could not be mailed (the SMTP server away, or refusing the message): the service's trouble
 * (503), and the sign-in made nothing (its session is dropped again).
 */
export class MailUnavailableError extends Error {
  override readonly name = 'MailUnavailableError';
}
