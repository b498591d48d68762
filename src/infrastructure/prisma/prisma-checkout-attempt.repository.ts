import { Injectable } from '@nestjs/common';
import { CheckoutAttemptEntry, CheckoutAttemptRepository } from '../../application/analytics/checkout-attempt-log.port';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaCheckoutAttemptRepository extends CheckoutAttemptRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  /**
   * One INSERT of the whole batch, skipping entries already written, one row per log entry (the view
   * checkout_attempts unfolds them). Stored per attempt, a sell-out's refusals cost PostgreSQL about 20 µs
   * a row, a sixth of a core, and their writes held the app's requests long enough to push the refusals'
   * p99 past 10 ms; most of them come 64 or more to an entry.
   *
   * The batch travels as one list per column, entries separated by ";" and an entry's attempts by ",",
   * which PostgreSQL splits: joining strings is the least work for this process. Neither can be in a value:
   * user ids exclude both (USER_ID_PATTERN) and the rest are numbers, stream ids and result codes; any that
   * slipped in is dropped so that the columns never misalign. Each list starts with a ";", so that a list of
   * one empty value is not read as no value at all, and the first (empty) element is skipped.
   */
  async saveBatch(entries: readonly CheckoutAttemptEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    let sources = '';
    let streamIds = '';
    let sales = '';
    let times = '';
    let batched = '';
    let users = '';
    let items = '';
    let results = '';
    let saleLists = '';
    for (const e of entries) {
      sources += ';' + e.source.replaceAll(';', '');
      streamIds += ';' + e.entryId.replaceAll(';', '');
      sales += ';' + (e.saleId ?? '');
      times += ';' + e.attemptedAt.getTime();
      batched += e.batched ? ';t' : ';f';
      users += ';' + list(e.userIds);
      items += ';' + list(e.itemIds);
      results += ';' + list(e.results);
      saleLists += ';' + (e.saleIds ? list(e.saleIds) : '');
    }
    return this.prisma.$executeRaw`
      INSERT INTO checkout_attempt_entries (source, stream_id, sale_id, attempted_at, batched, user_ids, item_ids, results, sale_ids)
      SELECT source, stream_id, nullif(sale_id, '')::int,
             timestamptz 'epoch' + attempted_at::bigint * interval '1 millisecond', batched::boolean,
             user_ids, item_ids, results, CASE WHEN sale_id = '' THEN sale_ids END
      FROM unnest(
        (string_to_array(${sources}, ';'))[2:], (string_to_array(${streamIds}, ';'))[2:],
        (string_to_array(${sales}, ';'))[2:], (string_to_array(${times}, ';'))[2:],
        (string_to_array(${batched}, ';'))[2:], (string_to_array(${users}, ';'))[2:],
        (string_to_array(${items}, ';'))[2:], (string_to_array(${results}, ';'))[2:],
        (string_to_array(${saleLists}, ';'))[2:]
      ) AS x(source, stream_id, sale_id, attempted_at, batched, user_ids, item_ids, results, sale_ids)
      ON CONFLICT (source, stream_id) DO NOTHING`;
  }
}

/** An entry's values as one comma list; a value loses any separator, which would split it. */
function list(values: readonly string[]): string {
  // Joined natively unless a value holds a comma (never, from the Redis reader, which split on them).
  const joined = values.some((v) => v.includes(',')) ? values.map((v) => v.replaceAll(',', '')).join(',') : values.join(',');
  return joined.replaceAll(';', '');
}
