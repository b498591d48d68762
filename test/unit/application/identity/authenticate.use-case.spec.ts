import { AuthMode, AuthSettings } from '../../../../src/application/identity/auth-settings';
import { AuthenticateUseCase } from '../../../../src/application/identity/authenticate.use-case';
import { TokenKeysUnavailableError } from '../../../../src/application/identity/identity.errors';
import { oneTimeCodeDigest } from '../../../../src/application/identity/one-time-code-digest';
import { Email } from '../../../../src/domain/identity/email.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { FakeTokenVerifier, InMemorySessionStore } from '../../../support/doubles/identity';
import { HOUR, MINUTE } from '../../../support/mothers/sale.mother';

describe('AuthenticateUseCase', () => {
  let clock: FixedClock;
  let sessions: InMemorySessionStore;
  let tokens: FakeTokenVerifier;

  beforeEach(async () => {
    clock = new FixedClock();
    sessions = new InMemorySessionStore(clock);
    tokens = new FakeTokenVerifier();
    await sessions.create(
      'alices-session',
      { userId: 'u-alice' as UserId, email: 'alice@example.com' as Email },
      oneTimeCodeDigest('alices-session', '123456'),
      HOUR,
      5 * MINUTE,
    );
    await sessions.create('bobs-session', { userId: 'u-bob' as UserId, email: 'bob@example.com' as Email }, 'x', HOUR, 5 * MINUTE);
  });

  const authenticate = (mode: AuthMode) => new AuthenticateUseCase(new AuthSettings(mode, HOUR, 5 * MINUTE, 5), sessions, tokens);

  it('checks nothing in trusted mode', async () => {
    expect(await authenticate('trusted').execute({ bearer: 'anything' })).toEqual({ ok: true, value: null });
  });

  describe('session mode', () => {
    it('finds the caller of a session cookie, unverified until the code is', async () => {
      expect(await authenticate('session').execute({ cookie: 'alices-session' })).toEqual({
        ok: true,
        value: { userId: 'u-alice', verified: false, email: 'alice@example.com' },
      });
      await sessions.verifyCode('alices-session', oneTimeCodeDigest('alices-session', '123456'), 5);
      expect(await authenticate('session').execute({ cookie: 'alices-session' })).toEqual({
        ok: true,
        value: expect.objectContaining({ verified: true }),
      });
    });

    it('prefers the bearer token to the cookie', async () => {
      expect(await authenticate('session').execute({ bearer: 'bobs-session', cookie: 'alices-session' })).toEqual({
        ok: true,
        value: expect.objectContaining({ userId: 'u-bob' }),
      });
    });

    it('refuses a request without credentials', async () => {
      expect(await authenticate('session').execute({})).toEqual({ ok: false, error: expect.objectContaining({ code: 'unauthorized' }) });
    });

    it('refuses an unknown or expired session', async () => {
      expect(await authenticate('session').execute({ cookie: 'made-up' })).toEqual({
        ok: false,
        error: { code: 'unauthorized', detail: 'The session has expired or does not exist: sign in again.' },
      });
      clock.advance(HOUR);
      expect(await authenticate('session').execute({ cookie: 'alices-session' })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'unauthorized' }),
      });
    });

    it('ends a session on logout', async () => {
      await authenticate('session').logout('alices-session');

      expect(await authenticate('session').execute({ cookie: 'alices-session' })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'unauthorized' }),
      });
      expect(await authenticate('session').execute({ cookie: 'bobs-session' })).toEqual({
        ok: true,
        value: expect.objectContaining({ userId: 'u-bob' }),
      });
    });
  });

  describe('jwt mode', () => {
    it('takes the caller from a valid token’s subject, verified', async () => {
      tokens.accept('good.jwt', 'idp:user-42');

      expect(await authenticate('jwt').execute({ bearer: 'good.jwt' })).toEqual({
        ok: true,
        value: { userId: 'idp:user-42', verified: true },
      });
    });

    it('refuses a request without a bearer token, even with a session cookie', async () => {
      expect(await authenticate('jwt').execute({ cookie: 'alices-session' })).toEqual({
        ok: false,
        error: { code: 'unauthorized', detail: 'Send "Authorization: Bearer <JWT>".' },
      });
    });

    it('refuses a token that does not verify, saying why', async () => {
      expect(await authenticate('jwt').execute({ bearer: 'forged.jwt' })).toEqual({
        ok: false,
        error: { code: 'unauthorized', detail: 'The token is not valid: signature verification failed.' },
      });
    });

    it('refuses a valid token whose subject is not a valid user id', async () => {
      tokens.accept('odd.jwt', 'has spaces in it');

      expect(await authenticate('jwt').execute({ bearer: 'odd.jwt' })).toEqual({
        ok: false,
        error: { code: 'unauthorized', detail: expect.stringContaining('not a valid user id') },
      });
    });

    it('lets a failure to fetch the provider’s keys through: the token may be fine (503, not 401)', async () => {
      tokens.accept('good.jwt', 'u-42');
      tokens.keysUnavailable();

      await expect(authenticate('jwt').execute({ bearer: 'good.jwt' })).rejects.toBeInstanceOf(TokenKeysUnavailableError);
    });
  });
});
