import { Injectable } from '@nestjs/common';
import { CheckoutAttempt, CheckoutAttemptRepository } from '../../application/ports/checkout-attempt-log.port';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaCheckoutAttemptRepository extends CheckoutAttemptRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  async saveBatch(attempts: readonly CheckoutAttempt[]): Promise<number> {
    if (attempts.length === 0) return 0;
    const { count } = await this.prisma.checkoutAttempt.createMany({
      data: attempts.map((a) => ({
        source: a.source,
        streamId: a.entryId,
        saleId: a.saleId,
        userId: a.userId.slice(0, 64),
        itemId: a.itemId,
        result: a.result.slice(0, 40),
        attemptedAt: a.attemptedAt,
      })),
      skipDuplicates: true,
    });
    return count;
  }
}
