import { AuthSettings } from '../../../../src/application/identity/auth-settings';
import { LoginUseCase } from '../../../../src/application/identity/login.use-case';
import { oneTimeCodeDigest } from '../../../../src/application/identity/one-time-code-digest';
import { Email } from '../../../../src/domain/identity/email.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { FakePasswordHasher, InMemoryAccountRepository, InMemorySessionStore, RecordingMailer } from '../../../support/doubles/identity';
import { SequentialIdGenerator } from '../../../support/doubles/sequential-id-generator';
import { HOUR, MINUTE, NOW } from '../../../support/mothers/sale.mother';

describe('LoginUseCase', () => {
  let clock: FixedClock;
  let hasher: FakePasswordHasher;
  let sessions: InMemorySessionStore;
  let mailer: RecordingMailer;
  let ids: SequentialIdGenerator;

  beforeEach(async () => {
    clock = new FixedClock(NOW);
    hasher = new FakePasswordHasher();
    sessions = new InMemorySessionStore(clock);
    mailer = new RecordingMailer('outbox', clock);
    ids = new SequentialIdGenerator();
  });

  async function loginWith(settings = new AuthSettings('session', 12 * HOUR, 5 * MINUTE, 5)) {
    const accounts = new InMemoryAccountRepository();
    await accounts.create({
      userId: 'u-alice' as UserId,
      email: 'alice@example.com' as Email,
      passwordHash: await hasher.hash('correct horse battery'),
    });
    return new LoginUseCase(accounts, hasher, sessions, mailer, ids, settings);
  }

  it('opens an unverified session and mails its one-time code to the account', async () => {
    ids.willSendCodes('483920');
    const login = await loginWith();

    const result = await login.execute('Alice@Example.com', 'correct horse battery');

    expect(result).toEqual({
      ok: true,
      value: {
        token: 'session-0000000000000001',
        userId: 'u-alice',
        expiresAt: new Date(NOW.getTime() + 12 * HOUR),
        verificationRequired: true,
        codeDelivery: 'outbox',
      },
    });
    expect(await sessions.get('session-0000000000000001')).toEqual(expect.objectContaining({ userId: 'u-alice', verified: false }));
    expect(sessions.codeDigestOf('session-0000000000000001')).toBe(oneTimeCodeDigest('session-0000000000000001', '483920'));
    expect(mailer.sent).toEqual([
      expect.objectContaining({
        to: 'alice@example.com',
        subject: 'Your Flashsale code: 483920',
        text: expect.stringContaining('Your Flashsale sign-in code is 483920. It is valid for 5 minutes.'),
      }),
    ]);
  });

  it('never stores the code itself with the session', async () => {
    ids.willSendCodes('111222');
    const login = await loginWith();
    const result = await login.execute('alice@example.com', 'correct horse battery');

    expect(sessions.codeDigestOf(result.ok ? result.value.token : '')).not.toContain('111222');
  });

  it('says "1 minute", not "1 minutes"', async () => {
    const login = await loginWith(new AuthSettings('session', HOUR, MINUTE, 5));
    await login.execute('alice@example.com', 'correct horse battery');

    expect(mailer.sent[0]!.text).toContain('valid for 1 minute.');
  });

  it.each([
    [30_000, '30 seconds'],
    [90_000, '90 seconds'],
    [150_000, '2 minutes'],
    [299_999, '4 minutes'],
  ])('never promises more time than the code has (%i ms: %s)', async (ttlMs, said) => {
    const login = await loginWith(new AuthSettings('session', HOUR, ttlMs, 5));
    await login.execute('alice@example.com', 'correct horse battery');

    expect(mailer.sent[0]!.text).toContain(`valid for ${said}.`);
  });

  it('says where the code went when mail goes out over SMTP', async () => {
    mailer = new RecordingMailer('email');
    const login = await loginWith();

    expect(await login.execute('alice@example.com', 'correct horse battery')).toEqual({
      ok: true,
      value: expect.objectContaining({ codeDelivery: 'email' }),
    });
  });

  it('refuses a wrong password: no session, no mail', async () => {
    const login = await loginWith();

    expect(await login.execute('alice@example.com', 'wrong horse battery')).toEqual({
      ok: false,
      error: { code: 'invalid_credentials', detail: 'Wrong e-mail address or password.' },
    });
    expect(mailer.sent).toEqual([]);
    expect(hasher.verifications).toBe(1);
  });

  it('answers an unknown address exactly as a wrong password, after spending a verification on nothing', async () => {
    const login = await loginWith();
    const wrongPassword = await login.execute('alice@example.com', 'wrong horse battery');

    const unknown = await login.execute('bob@example.com', 'correct horse battery');

    expect(unknown).toEqual(wrongPassword);
    expect(hasher.blankVerifications).toBe(1);
    expect(mailer.sent).toEqual([]);
  });

  it.each([
    ['an e-mail that is not an address', 'alice'],
    ['an e-mail with a control character in it', 'ali\u0000ce@example.com'],
  ])('refuses %s as wrong credentials', async (_case, email) => {
    const login = await loginWith();

    expect(await login.execute(email, 'correct horse battery')).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid_credentials' }),
    });
    expect(mailer.sent).toEqual([]);
  });

  it.each([
    ['a password that is not a string', 'alice@example.com', 12345678901, 'password'],
    ['no password', 'alice@example.com', undefined, 'password'],
    ['an e-mail that is not a string', ['alice@example.com'], 'correct horse battery', 'email'],
  ])('refuses %s as a malformed request naming the field', async (_case, email, password, parameter) => {
    const login = await loginWith();

    expect(await login.execute(email, password)).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid_request', parameter }),
    });
  });
});
