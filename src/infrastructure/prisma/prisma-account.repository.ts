import { Injectable } from '@nestjs/common';
import { Account, AccountRepository } from '../../application/identity/account.repository.port';
import { Email } from '../../domain/identity/email.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaAccountRepository extends AccountRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  async create(account: Account): Promise<Account | null> {
    // The unique index on email decides between two registrations racing for one address.
    const created = await this.prisma.account.createManyAndReturn({
      data: [{ id: account.userId, email: account.email, passwordHash: account.passwordHash }],
      skipDuplicates: true,
      select: { id: true },
    });
    return created.length === 1 ? account : null;
  }

  async findByEmail(email: Email): Promise<Account | null> {
    const row = await this.prisma.account.findUnique({ where: { email } });
    return row ? { userId: row.id as UserId, email: row.email as Email, passwordHash: row.passwordHash } : null;
  }
}
