/** How callers are identified; built from configuration (infrastructure/config). */
export type AuthMode = 'trusted' | 'session' | 'jwt';

export class AuthSettings {
  constructor(
    /** trusted: user_id comes from an upstream that already authenticated; session: our accounts; jwt: an IdP. */
    readonly mode: AuthMode,
    readonly sessionTtlMs: number,
    readonly codeTtlMs: number,
    readonly codeMaxAttempts: number,
    /** Mark the session cookie Secure (sent over HTTPS only): SESSION_COOKIE_SECURE. */
    readonly cookieSecure = false,
  ) {}
}
