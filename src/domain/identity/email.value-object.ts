/** An account's e-mail address, normalised to lower case so one address is one account. */
export type Email = string & { readonly __brand: 'Email' };

// Deliberately simple: one @, no spaces, a dot in the domain. Delivery proves the rest. No control
// characters either: \s does not cover them, and PostgreSQL refuses a NUL in text outright.
const PATTERN = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]{2,}$/u;

export function parseEmail(raw: unknown): Email | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && PATTERN.test(email) ? (email as Email) : null;
}
