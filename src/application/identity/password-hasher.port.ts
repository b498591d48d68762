/** A slow, salted, memory-hard password hash. */
export abstract class PasswordHasher {
  abstract hash(password: string): Promise<string>;
  abstract verify(hash: string, password: string): Promise<boolean>;
  /** Spends as long as a real verification, for logins to unknown accounts (no timing oracle). */
  abstract verifyNothing(password: string): Promise<void>;
}
