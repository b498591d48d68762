import { createHash } from 'node:crypto';
import { readAdmission, signAdmission } from '../../../src/domain/line/admission.value-object';
import { admissionRoom, etaSeconds, placeOf } from '../../../src/domain/line/line-place';
import { isProofOfWork, powChallenge } from '../../../src/domain/line/proof-of-work';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../src/domain/user/user-id.value-object';

const SECRET = 'a-secret-of-at-least-thirty-two-chars!';
const claim = { saleId: 7 as SaleId, userId: 'alice' as UserId, expiresAt: new Date('2030-01-01T00:00:00Z') };

describe('admission', () => {
  it('reads back what was signed, with the same secret only', () => {
    const token = signAdmission(claim, SECRET);
    expect(readAdmission(token, SECRET)).toEqual(claim);
    expect(readAdmission(token, `${SECRET}x`)).toBeNull();
  });

  it('refuses any change to the payload or the signature, and garbage', () => {
    const token = signAdmission(claim, SECRET);
    const [payload, sig] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ s: 7, u: 'mallory', e: claim.expiresAt.getTime() })).toString('base64url');
    for (const bad of [`${other}.${sig}`, `${payload}.${sig.slice(1)}`, `${payload}.`, '.', '', 'x'.repeat(600), `${payload}`]) {
      expect(readAdmission(bad, SECRET)).toBeNull();
    }
  });
});

describe('proof of work', () => {
  it('accepts a nonce whose hash has the leading zero bits, and refuses others', () => {
    const challenge = powChallenge(7, 'alice', 0);
    let nonce = 0;
    while (
      createHash('sha256')
        .update(challenge + nonce.toString(36))
        .digest()[0] !== 0
    )
      nonce++;
    expect(isProofOfWork(challenge, nonce.toString(36), 8)).toBe(true);
    expect(isProofOfWork(powChallenge(7, 'bob', 0), nonce.toString(36), 8)).toBe(false);
    expect(isProofOfWork(challenge, 'zz-not-valid', 8)).toBe(false);
    // The next place in the same line needs a solution of its own.
    expect(isProofOfWork(powChallenge(7, 'alice', 1), nonce.toString(36), 8)).toBe(false);
    expect(isProofOfWork(challenge, '', 0)).toBe(true);
  });
});

describe('places', () => {
  it('counts positions from 1 and estimates the wait at the rate', () => {
    expect(placeOf({ kind: 'waiting', ahead: 0, ratePerSecond: 10 })).toEqual({ status: 'waiting', position: 1, ahead: 0, etaSeconds: 1 });
    expect(etaSeconds(99, 10)).toBe(10);
    expect(etaSeconds(100, 10)).toBe(11);
  });

  it('never leaves more admitted buyers than the units left allow', () => {
    expect(admissionRoom(5, 1, 0)).toBe(5);
    expect(admissionRoom(5, 1, 5)).toBe(0);
    expect(admissionRoom(2, 1, 5)).toBe(0);
    expect(admissionRoom(3, 1.5, 1)).toBe(3);
    expect(admissionRoom(0, 10, 0)).toBe(0);
    // Below one per unit: still room for one while a unit is left, as the script keeps it.
    expect(admissionRoom(1, 0.5, 0)).toBe(1);
    expect(admissionRoom(4, 0.5, 0)).toBe(2);
    expect(admissionRoom(1, 0.5, 1)).toBe(0);
    expect(admissionRoom(0, 0.5, 0)).toBe(0);
  });
});
