import { Email } from '../../domain/identity/email.value-object';
import { UserId } from '../../domain/user/user-id.value-object';

export interface Account {
  readonly userId: UserId;
  readonly email: Email;
  readonly passwordHash: string;
}

/** Buyer accounts (session mode), in PostgreSQL. */
export abstract class AccountRepository {
  /** Null when the e-mail address already has an account. */
  abstract create(account: Account): Promise<Account | null>;
  abstract findByEmail(email: Email): Promise<Account | null>;
}
