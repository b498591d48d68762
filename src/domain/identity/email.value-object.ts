/**
 * An account's e-mail address, normalised so that one mailbox is one account: Unicode in composed form, lower
 * case, the domain in its ASCII (punycode) form and without a trailing dot, as mail is delivered to it.
 */
export type Email = string & { readonly __brand: 'Email' };

// Deliberately simple: one @, no spaces, a dot in the domain. Delivery proves the rest.
const PATTERN = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
/** What a domain may not hold before it is converted (a URL would read these as its other parts). */
const NOT_IN_DOMAIN = /[\s/?#:@\\[\]%]/;

export function parseEmail(raw: unknown): Email | null {
  if (typeof raw !== 'string') return null;
  const address = raw.trim().normalize('NFC');
  const at = address.lastIndexOf('@');
  if (at < 1) return null;
  const domain = asciiDomain(address.slice(at + 1).replace(/\.$/, ''));
  if (domain === null) return null;
  const email = `${address.slice(0, at).toLowerCase()}@${domain}`;
  return email.length <= 254 && PATTERN.test(email) ? (email as Email) : null;
}

/** The domain as DNS and mail servers name it (bücher.de is xn--bcher-kva.de), lower case; null if it is none. */
function asciiDomain(domain: string): string | null {
  if (domain === '' || NOT_IN_DOMAIN.test(domain)) return null;
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return null;
  }
}
