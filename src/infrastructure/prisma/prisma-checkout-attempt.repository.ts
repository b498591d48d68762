import { Injectable } from '@nestjs/common';
import { CheckoutAttempt, CheckoutAttemptRepository } from '../../application/analytics/checkout-attempt-log.port';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaCheckoutAttemptRepository extends CheckoutAttemptRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  /**
   * One INSERT of the whole batch, skipping rows already written. Prisma's createMany costs ~130 µs of CPU per
   * row in its query compiler (measured in the bench); attempts come by the thousand per second. The batch goes
   * as one JSON text parameter (json_to_recordset): serialising it is one native JSON.stringify, where seven
   * array parameters cost the driver an escaping pass over every element (measured in a profile under load).
   */
  async saveBatch(attempts: readonly CheckoutAttempt[]): Promise<number> {
    if (attempts.length === 0) return 0;
    const rows = JSON.stringify(
      attempts.map((a) => ({
        source: a.source,
        stream_id: a.entryId,
        sale_id: a.saleId,
        user_id: a.userId.slice(0, 64),
        item_id: a.itemId,
        result: a.result.slice(0, 40),
        attempted_at: a.attemptedAt.toISOString(),
      })),
    );
    return this.prisma.$executeRaw`
      INSERT INTO checkout_attempts (source, stream_id, sale_id, user_id, item_id, result, attempted_at)
      SELECT source, stream_id, sale_id, user_id, item_id, result, attempted_at
      FROM json_to_recordset(${rows}::json) AS x(
        source varchar, stream_id varchar, sale_id int, user_id varchar, item_id int, result varchar, attempted_at timestamptz)
      ON CONFLICT (source, stream_id) DO NOTHING`;
  }
}
