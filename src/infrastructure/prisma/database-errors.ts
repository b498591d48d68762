import { OrderStoreUnavailableError, OrdersRejectedError } from '../../application/order-pipeline/order.repository.port';

interface PrismaLikeError {
  code?: string;
  message?: string;
  meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } };
}

// Prisma's codes for "the data is wrong" and "the database is away or busy".
const REJECTED_PRISMA = new Set(['P2000', 'P2002', 'P2003', 'P2004', 'P2011', 'P2012', 'P2014', 'P2019', 'P2020', 'P2023']);
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024', 'P2028', 'P2034', 'P2037']);
/**
 * The pg adapter's kinds for a database that is away, busy or not (yet) set up for us: a raw query fails with
 * P2010 and no SQLSTATE when its connection drops or times out, so the kind is all there is to go by. The
 * orders are good whatever the environment does: they wait, they are never dead-lettered for it.
 */
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
  'TlsConnectionError',
  'AuthenticationFailed',
  'DatabaseAccessDenied',
  'DatabaseDoesNotExist',
  'TableDoesNotExist',
  'ColumnNotFound',
]);
/**
 * SQLSTATEs of the same: connection (08), resources (53), operator intervention (57), serialization failure
 * and deadlock (40001, 40P01), outcome unknown (40003), a read-only transaction on a demoted primary after a
 * failover (25006), a lock not available (55P03), a role or database missing or refused (28, 3D000), and a
 * schema not migrated yet or a role without its grants (42P01, 42703, 42501): the orders are good, the
 * database is not ready for them.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|28|40001|40P01|40003|25006|55P03|3D000|42P01|42703|42501)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|EPIPE|Connection terminated|terminating connection|closed the connection|Connection is closed|timed out|not queryable|timeout exceeded when trying to connect|the database system is (starting|shutting) up|Can't reach database|Transaction already closed|Unable to start a transaction/i;

/**
 * Sorts a database error into "the data was refused" (SQLSTATE classes 22 and 23) and "the database is
 * unavailable" (away, busy, failing over, or not set up for us: see the lists above); anything else is
 * returned unchanged, as an unexpected error.
 */
export function classifyDatabaseError(e: unknown): unknown {
  const err = e as PrismaLikeError;
  const cause = err?.meta?.driverAdapterError?.cause;
  const sqlState = cause?.originalCode ?? '';
  const message = err?.message ?? String(e);
  if (REJECTED_PRISMA.has(err?.code ?? '') || /^2[23]/.test(sqlState)) return new OrdersRejectedError(message, { cause: e });
  if (
    UNAVAILABLE_PRISMA.has(err?.code ?? '') ||
    UNAVAILABLE_SQLSTATE.test(sqlState) ||
    UNAVAILABLE_KINDS.has(cause?.kind ?? '') ||
    UNAVAILABLE_MESSAGE.test(message)
  ) {
    return new OrderStoreUnavailableError(message, { cause: e });
  }
  return e;
}
