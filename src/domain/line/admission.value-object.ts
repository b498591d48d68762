import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseSaleId } from '../sale/sale-id.value-object';
import { parseUserId } from '../user/user-id.value-object';
import { AdmissionClaim } from './line-place';

/**
 * An admission as the buyer carries it: "<payload>.<signature>", both base64url, the payload the JSON
 * {"s":saleId,"u":userId,"e":expiresAtMs} and the signature its HMAC-SHA256 under the waiting room's secret.
 * Checked with the secret alone (no store read), so every instance of a fleet checks it the same way.
 */
export function signAdmission(claim: AdmissionClaim, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ s: claim.saleId, u: claim.userId, e: claim.expiresAt.getTime() })).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** The claim of a well-signed admission (expired or not), or null for anything forged or malformed. */
export function readAdmission(token: string, secret: string): AdmissionClaim | null {
  if (token.length > 512) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(payload, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const { s, u, e } = (raw ?? {}) as { s?: unknown; u?: unknown; e?: unknown };
  const saleId = parseSaleId(s);
  const userId = parseUserId(u);
  if (saleId === null || userId === null || typeof e !== 'number' || !Number.isSafeInteger(e)) return null;
  return { saleId, userId, expiresAt: new Date(e) };
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`flashsale-admission:${payload}`).digest('base64url');
}
