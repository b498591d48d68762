import addressparser from 'nodemailer/lib/addressparser';
import { parseEmail } from '../../../src/domain/identity/email.value-object';

describe('parseEmail', () => {
  it.each([
    'ada@example.com',
    "o'brien+tag@example.co.uk",
    'a.b-c_d@sub.example.com',
    'ünï@bücher.de',
    'a=b?c#d$e%f&g*h{i}j|k~l^m`n/o!p@example.com',
  ])('takes %s, which mail software reads as exactly that one address', (raw) => {
    expect(parseEmail(raw)).toBe(raw);
    expect(addressparser(raw)).toEqual([{ address: raw, name: '' }]);
  });

  it('keeps one account per address: lower case, trimmed', () => {
    expect(parseEmail('  Ada@Example.COM ')).toBe('ada@example.com');
  });

  it.each([
    // Read by mail software as a name and another address: one mailbox would hold many accounts.
    'x<me@x.com>',
    '<me@x.com',
    '(c)me@x.com',
    'a,me@x.com',
    'me;you@x.com',
    'me:you@x.com',
    '"me"@x.com',
    // Read as no address at all, or refused: an account no code could ever reach.
    '(me@x.com)',
    'me@x.com>',
    '[me]@x.com',
    'me\\x@x.com',
    // The simple rules.
    'not-an-address',
    'a@b@example.com',
    'me@localhost',
    'b\u0000ob@example.com',
    'me @example.com',
    `${'a'.repeat(65)}@example.com`,
  ])('refuses %j', (raw) => {
    expect(parseEmail(raw)).toBeNull();
  });
});
