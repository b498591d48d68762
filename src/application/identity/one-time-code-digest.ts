import { createHash } from 'node:crypto';

/** Codes are stored as a digest bound to their session, so a leaked store does not reveal them. */
export function oneTimeCodeDigest(sessionToken: string, code: string): string {
  return createHash('sha256').update(`${sessionToken}\n${code}`).digest('base64url');
}
