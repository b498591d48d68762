import { createHash } from 'node:crypto';

/**
 * Hashcash before joining a line: the buyer finds a nonce such that SHA-256 of
 * "<challenge><nonce>" starts with `bits` zero bits. The challenge names the sale, the buyer and how many
 * places the buyer has taken in that line so far, so one solution buys one place and a bot pays for every
 * place it takes: a place lost (its heartbeat missed, its admission let lapse) costs a new solution, and
 * re-drawing the lottery is never free.
 */
export function powChallenge(saleId: number, userId: string, placesTaken: number): string {
  return `flashsale:${saleId}:${userId}:${placesTaken}:`;
}

export function isProofOfWork(challenge: string, nonce: string, bits: number): boolean {
  if (bits <= 0) return true;
  if (!/^[A-Za-z0-9]{1,64}$/.test(nonce)) return false;
  return (
    leadingZeroBits(
      createHash('sha256')
        .update(challenge + nonce)
        .digest(),
    ) >= bits
  );
}

function leadingZeroBits(digest: Buffer): number {
  let n = 0;
  for (const byte of digest) {
    if (byte === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(byte) - 24;
  }
  return n;
}
