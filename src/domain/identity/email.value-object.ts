/** An account's e-mail address, normalised to lower case so one address is one account. */
export type Email = string & { readonly __brand: 'Email' };

// Deliberately simple: one @, a dot in the domain, and none of what mail software reads as address syntax
// rather than as part of an address: no spaces, no control characters (\s does not cover them, and
// PostgreSQL refuses a NUL in text outright), no ( ) < > , ; : " [ ] \. With those, "x<me@x.com>" or
// "(c)me@x.com" would be new accounts whose codes all reach me@x.com, and "(me@x.com)" one no mail can
// reach. Delivery proves the rest.
const PATTERN = /^[^\s@\p{Cc}()<>,;:"[\]\\]{1,64}@[^\s@\p{Cc}()<>,;:"[\]\\]+\.[^\s@\p{Cc}()<>,;:"[\]\\]{2,}$/u;

export function parseEmail(raw: unknown): Email | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && PATTERN.test(email) ? (email as Email) : null;
}
