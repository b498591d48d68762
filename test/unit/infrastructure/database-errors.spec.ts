import { OrderStoreUnavailableError, OrdersRejectedError } from '../../../src/application/order-pipeline/order.repository.port';
import { classifyDatabaseError } from '../../../src/infrastructure/prisma/database-errors';

/*
 * A batch of orders the database could not take is retried without spending its attempts when the database
 * is away, and parked only when PostgreSQL refused the data itself. Misread, a connection drop in the middle
 * of a raw query (Prisma's P2010, with no SQLSTATE) spent attempts until good orders were dead-lettered.
 */

/** An error shaped as Prisma 7's pg adapter throws it. */
function prismaError(code: string, cause: { kind: string; originalCode?: string }, message = 'query failed'): Error {
  return Object.assign(new Error(message), { code, meta: { driverAdapterError: { cause } } });
}

describe('classifyDatabaseError', () => {
  it.each([
    ['a raw query whose connection closed', prismaError('P2010', { kind: 'ConnectionClosed' }, 'Server has closed the connection.')],
    ['a raw query that timed out', prismaError('P2010', { kind: 'SocketTimeout' }, 'Operation has timed out')],
    ['too many connections', prismaError('P2010', { kind: 'TooManyConnections' })],
    ['a role refused at sign-in', prismaError('P1000', { kind: 'AuthenticationFailed' })],
    ['a demoted primary (read-only transaction)', prismaError('P2010', { kind: 'postgres', originalCode: '25006' })],
    ['a lock not available', prismaError('P2010', { kind: 'postgres', originalCode: '55P03' })],
    ['a deadlock', prismaError('P2034', { kind: 'postgres', originalCode: '40P01' })],
    ['an administrator shutdown', prismaError('P2010', { kind: 'postgres', originalCode: '57P01' })],
    ['a table not migrated yet', prismaError('P2010', { kind: 'TableDoesNotExist', originalCode: '42P01' })],
    ['a column not migrated yet', prismaError('P2010', { kind: 'ColumnNotFound', originalCode: '42703' })],
    ['a role without its grants', prismaError('P2010', { kind: 'postgres', originalCode: '42501' })],
    ['an unreachable host', new Error('connect EHOSTUNREACH 10.0.0.5:5432')],
    ['a DNS name that does not resolve for now', new Error('getaddrinfo EAI_AGAIN db.internal')],
    ['a client that is no longer queryable', new Error('Client has encountered a connection error and is not queryable')],
  ])('waits out %s: unavailable, not an attempt spent', (_case, error) => {
    expect(classifyDatabaseError(error)).toBeInstanceOf(OrderStoreUnavailableError);
  });

  it.each([
    ['a unit in two orders', prismaError('P2010', { kind: 'postgres', originalCode: '23505' })],
    ['a value out of range', prismaError('P2010', { kind: 'postgres', originalCode: '22003' })],
    ['a unique constraint (Prisma code)', prismaError('P2002', { kind: 'UniqueConstraintViolation' })],
  ])('parks %s: the data was refused', (_case, error) => {
    expect(classifyDatabaseError(error)).toBeInstanceOf(OrdersRejectedError);
  });

  it('leaves what it does not know as it is: an unexpected error', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(classifyDatabaseError(bug)).toBe(bug);
  });
});
