import { OrderStoreUnavailableError, OrdersRejectedError } from '../../application/order-pipeline/order.repository.port';

interface PrismaLikeError {
  code?: string;
  message?: string;
  meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } };
}

// Prisma's codes for "the data is wrong" and "the database is away or busy".
const REJECTED_PRISMA = new Set(['P2000', 'P2002', 'P2003', 'P2004', 'P2011', 'P2012', 'P2014', 'P2019', 'P2020', 'P2023']);
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024', 'P2028', 'P2034']);
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|terminating connection|timeout exceeded when trying to connect|the database system is (starting|shutting) up|Can't reach database|Transaction already closed|Unable to start a transaction/i;

/**
 * Sorts a database error into "the data was refused" (SQLSTATE classes 22 and 23) and "the database is
 * unavailable" (connection failures, classes 08, 53, 57, serialization failures and deadlocks); anything
 * else is returned unchanged, as an unexpected error.
 */
export function classifyDatabaseError(e: unknown): unknown {
  const err = e as PrismaLikeError;
  const sqlState = err?.meta?.driverAdapterError?.cause?.originalCode ?? '';
  const message = err?.message ?? String(e);
  if (REJECTED_PRISMA.has(err?.code ?? '') || /^2[23]/.test(sqlState)) return new OrdersRejectedError(message, { cause: e });
  if (
    UNAVAILABLE_PRISMA.has(err?.code ?? '') ||
    /^(08|53|57|40001|40P01)/.test(sqlState) ||
    err?.meta?.driverAdapterError?.cause?.kind === 'DatabaseNotReachable' ||
    UNAVAILABLE_MESSAGE.test(message)
  ) {
    return new OrderStoreUnavailableError(message, { cause: e });
  }
  return e;
}
