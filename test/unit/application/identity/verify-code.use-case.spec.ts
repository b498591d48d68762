import { AuthSettings } from '../../../../src/application/identity/auth-settings';
import { oneTimeCodeDigest } from '../../../../src/application/identity/one-time-code-digest';
import { VerifyCodeUseCase } from '../../../../src/application/identity/verify-code.use-case';
import { Email } from '../../../../src/domain/identity/email.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemorySessionStore } from '../../../support/doubles/identity';
import { HOUR, MINUTE } from '../../../support/mothers/sale.mother';

describe('VerifyCodeUseCase', () => {
  const token = 'session-token-0000000001';
  let clock: FixedClock;
  let sessions: InMemorySessionStore;
  let verify: VerifyCodeUseCase;

  beforeEach(async () => {
    clock = new FixedClock();
    sessions = new InMemorySessionStore(clock);
    verify = new VerifyCodeUseCase(sessions, new AuthSettings('session', HOUR, 5 * MINUTE, 3));
    await sessions.create(
      token,
      { userId: 'u-1' as UserId, email: 'a@example.com' as Email },
      oneTimeCodeDigest(token, '123456'),
      HOUR,
      5 * MINUTE,
    );
  });

  it('verifies the session with the right code', async () => {
    expect(await verify.execute(token, ' 123456 ')).toEqual({ ok: true, value: { verified: true } });
    expect(await sessions.get(token)).toEqual(expect.objectContaining({ verified: true }));
  });

  it('answers a wrong code with the attempts left', async () => {
    expect(await verify.execute(token, '654321')).toEqual({
      ok: false,
      error: { code: 'invalid_code', detail: 'That code is not right; 2 attempt(s) left.', attemptsLeft: 2 },
    });
    expect(await verify.execute(token, '654321')).toEqual({ ok: false, error: expect.objectContaining({ attemptsLeft: 1 }) });
  });

  it('locks the step after the last wrong code, even for the right one', async () => {
    await verify.execute(token, '000001');
    await verify.execute(token, '000002');

    expect(await verify.execute(token, '000003')).toEqual({ ok: false, error: expect.objectContaining({ code: 'verification_locked' }) });
    expect(await verify.execute(token, '123456')).toEqual({
      ok: false,
      error: { code: 'verification_locked', detail: 'Too many wrong codes: sign in again to get a new one.' },
    });
  });

  it('answers an expired code as locked, saying it expired', async () => {
    clock.advance(5 * MINUTE);

    expect(await verify.execute(token, '123456')).toEqual({
      ok: false,
      error: { code: 'verification_locked', detail: 'The code has expired: sign in again to get a new one.' },
    });
  });

  it('answers a session that does not exist as unauthorized', async () => {
    expect(await verify.execute('no-such-session', '123456')).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'unauthorized' }),
    });
  });

  it.each([['12345'], ['1234567'], ['abcdef'], [123456], [null]])(
    'refuses %p as a malformed code without counting an attempt',
    async (code) => {
      expect(await verify.execute(token, code)).toEqual({
        ok: false,
        error: { code: 'invalid_request', detail: 'code must be the six digits we sent you.', parameter: 'code' },
      });
      expect(await verify.execute(token, '999999')).toEqual({ ok: false, error: expect.objectContaining({ attemptsLeft: 2 }) });
    },
  );
});
