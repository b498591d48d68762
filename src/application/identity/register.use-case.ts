import { Injectable } from '@nestjs/common';
import { parseEmail } from '../../domain/identity/email.value-object';
import { passwordProblem } from '../../domain/identity/password-policy';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { UserId } from '../../domain/user/user-id.value-object';
import { AccountRepository } from './account.repository.port';
import { IdGenerator } from '../shared/id-generator.port';
import { PasswordHasher } from './password-hasher.port';

/** Creates a buyer account (session mode): e-mail address and password, kept only as a slow salted hash. */
@Injectable()
export class RegisterUseCase {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly ids: IdGenerator,
  ) {}

  async execute(
    rawEmail: unknown,
    password: unknown,
  ): Promise<Result<{ userId: string; email: string }, Rejection & { parameter?: string }>> {
    const email = parseEmail(rawEmail);
    if (!email) return err({ ...reject(RejectionCode.InvalidRequest, 'email must be an e-mail address.'), parameter: 'email' });
    const problem = passwordProblem(password);
    if (problem) return err({ ...reject(RejectionCode.InvalidRequest, `${problem}.`), parameter: 'password' });
    const account = await this.accounts.create({
      userId: this.ids.userId() as UserId,
      email,
      passwordHash: await this.hasher.hash(password as string),
    });
    if (!account) return err(reject(RejectionCode.EmailTaken, 'An account with this e-mail address exists already.'));
    return ok({ userId: account.userId, email: account.email });
  }
}
