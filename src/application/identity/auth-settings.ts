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
    /**
     * How long an instance may answer for a verified session from memory instead of asking Redis
     * (SESSION_CACHE_MS; 0: always ask). A sign-out reaches every instance at once by a notice; this bounds
     * how long a lost notice, or a session key deleted in Redis by hand, can go unseen.
     */
    readonly sessionCacheMs = 0,
  ) {}
}
