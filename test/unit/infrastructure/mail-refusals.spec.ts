import { isRecipientRefusedForGood } from '../../../src/infrastructure/identity/mailer';

/** The shape nodemailer gives a failed envelope (smtp-connection's _formatError). */
const rcptFailure = (response: string) => ({ code: 'EENVELOPE', command: 'RCPT TO', response });

describe('a recipient refused for good (the address is the trouble, not the service)', () => {
  it.each([
    '550 5.1.1 <mia@example.com>: no such mailbox',
    '550-5.1.1 The email account does not exist.',
    '556 5.1.10 domain takes no mail',
    '550 5.2.1 mailbox disabled',
    '553 5.1.3 bad address syntax',
  ])('is %s', (response) => expect(isRecipientRefusedForGood(rcptFailure(response))).toBe(true));

  it.each([
    // The relay refusing us, a policy, a temporary refusal, or no enhanced code to tell which.
    '550 5.7.1 relaying denied',
    '554 5.7.1 blocked by policy',
    '450 4.1.1 mailbox busy, try later',
    '550 no such user',
    // 5.1.100 is not 5.1.10.
    '550 5.1.100 something else',
  ])('is not %s', (response) => expect(isRecipientRefusedForGood(rcptFailure(response))).toBe(false));

  it('is not a refusal of the sender, nor an error of another kind', () => {
    expect(isRecipientRefusedForGood({ code: 'EENVELOPE', command: 'MAIL FROM', response: '550 5.1.1 unknown sender' })).toBe(false);
    expect(isRecipientRefusedForGood({ code: 'ECONNECTION', command: 'CONN', response: '550 5.1.1 x' })).toBe(false);
    expect(isRecipientRefusedForGood(new Error('550 5.1.1 x'))).toBe(false);
    expect(isRecipientRefusedForGood(null)).toBe(false);
  });
});
