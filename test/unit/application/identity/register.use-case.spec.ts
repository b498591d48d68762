import { RegisterUseCase } from '../../../../src/application/identity/register.use-case';
import { FakePasswordHasher, InMemoryAccountRepository } from '../../../support/doubles/identity';
import { SequentialIdGenerator } from '../../../support/doubles/sequential-id-generator';

describe('RegisterUseCase', () => {
  let accounts: InMemoryAccountRepository;
  let register: RegisterUseCase;

  beforeEach(() => {
    accounts = new InMemoryAccountRepository();
    register = new RegisterUseCase(accounts, new FakePasswordHasher(), new SequentialIdGenerator());
  });

  it('creates an account under a new user id, keeping only the password’s hash', async () => {
    expect(await register.execute('Alice@Example.com ', 'correct horse battery')).toEqual({
      ok: true,
      value: { userId: 'user-1', email: 'alice@example.com' },
    });
    expect(accounts.all()).toEqual([{ userId: 'user-1', email: 'alice@example.com', passwordHash: 'fake-hash(correct horse battery)' }]);
  });

  it('refuses an address that has an account already, whatever its case', async () => {
    await register.execute('alice@example.com', 'correct horse battery');

    expect(await register.execute('ALICE@example.com', 'another good password')).toEqual({
      ok: false,
      error: { code: 'email_taken', detail: expect.any(String) },
    });
    expect(accounts.all()).toHaveLength(1);
  });

  it.each([
    ['not an address', 'alice'],
    ['not a string', 42],
    ['missing', undefined],
  ])('refuses an e-mail that is %s, naming the parameter', async (_case, email) => {
    expect(await register.execute(email, 'correct horse battery')).toEqual({
      ok: false,
      error: { code: 'invalid_request', detail: 'email must be an e-mail address.', parameter: 'email' },
    });
  });

  it.each([
    ['too short', 'short', /at least 10 characters/],
    ['too long', 'x'.repeat(199) + 'y'.repeat(2), /at most 200 characters/],
    ['one repeated character', 'aaaaaaaaaaaa', /must not repeat a single character/],
    ['not a string', 1234567890, /must be a string/],
  ])('refuses a password that is %s, naming the parameter, and creates nothing', async (_case, password, detail) => {
    expect(await register.execute('alice@example.com', password)).toEqual({
      ok: false,
      error: { code: 'invalid_request', detail: expect.stringMatching(detail), parameter: 'password' },
    });
    expect(accounts.all()).toEqual([]);
  });
});
