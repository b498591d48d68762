import type { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerException } from '../../../src/interfaces/http/problem-details.filter';
import { sendProblem } from '../../../src/interfaces/http/problem-details';

/** What sendProblem did to a reply: its status, headers and body. */
function sent(send: (reply: FastifyReply) => void): { status: number; headers: Record<string, string>; body: unknown } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    code: (status: number) => ((out.status = status), reply),
    header: (name: string, value: string) => ((out.headers[name] = value), reply),
    hasHeader: (name: string) => name in out.headers,
    send: (payload: string) => ((out.body = JSON.parse(payload)), reply),
  };
  send(reply as unknown as FastifyReply);
  return out;
}

describe('sendProblem', () => {
  it('answers RFC 9457 problem+json with the code, its usual status, and Retry-After when given', () => {
    expect(sent((r) => sendProblem(r, 'item_sold_out', 'This item is sold out.', { retryAfterSeconds: 3 }))).toEqual({
      status: 409,
      headers: { 'retry-after': '3', 'content-type': 'application/problem+json; charset=utf-8' },
      body: {
        type: 'urn:flashsale:problem:item_sold_out',
        title: 'Item sold out',
        status: 409,
        detail: 'This item is sold out.',
        code: 'item_sold_out',
      },
    });
  });

  // Bodies are serialized once per code until one differs: each answer must still be its own.
  it('never answers with the body of an earlier problem of the same code that differed', () => {
    const bodies = [
      sent((r) => sendProblem(r, 'invalid_request', 'id must be a positive integer', { parameter: 'id' })).body,
      sent((r) => sendProblem(r, 'invalid_request', 'id must be a positive integer', { parameter: 'id' })).body,
      sent((r) => sendProblem(r, 'invalid_request', 'id must be a positive integer', { parameter: 'item_id' })).body,
      sent((r) => sendProblem(r, 'invalid_request', 'code must be a checkout code', { parameter: 'item_id' })).body,
      sent((r) => sendProblem(r, 'invalid_request', 'code must be a checkout code', { parameter: 'item_id', status: 422 })).body,
      sent((r) => sendProblem(r, 'invalid_request', 'code must be a checkout code')).body,
    ];
    expect(bodies.map((b) => b as Record<string, unknown>).map(({ detail, parameter, status }) => ({ detail, parameter, status }))).toEqual(
      [
        { detail: 'id must be a positive integer', parameter: 'id', status: 400 },
        { detail: 'id must be a positive integer', parameter: 'id', status: 400 },
        { detail: 'id must be a positive integer', parameter: 'item_id', status: 400 },
        { detail: 'code must be a checkout code', parameter: 'item_id', status: 400 },
        { detail: 'code must be a checkout code', parameter: 'item_id', status: 422 },
        { detail: 'code must be a checkout code', parameter: undefined, status: 400 },
      ],
    );
  });
});

describe('answerException', () => {
  const quiet = { warn: () => undefined, error: () => undefined } as unknown as Logger;
  const answer = (e: Error, method = 'POST', url = '/checkout?user_id=u&id=1') =>
    sent((r) => answerException(e, { method, url } as FastifyRequest, Object.assign(r, { sent: false }), quiet));

  // Redis's own refusals while a Cluster or server is busy or failing over: retry shortly, not a bug (500).
  it.each([
    'Too many Cluster redirections. Last error: ReplyError: MOVED 12539 127.0.0.1:7002',
    'MOVED 12539 127.0.0.1:7002',
    'ASK 12539 127.0.0.1:7002',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.',
    "OOM command not allowed when used memory > 'maxmemory'.",
    // A batch script's step that Redis refused (the default path of checkout and purchase).
    "checkout-batch.lua failed on one call of its batch: OOM command not allowed when used memory > 'maxmemory'.",
    'Command timed out',
    'sale events subscription: no answer within 2000 ms',
    // Writes refused after a failed AOF write or snapshot (a full disk), or by an ACL the deploy got wrong.
    'MISCONF Errors writing to the AOF file: No space left on device',
    "purchase-batch.lua failed on one call of its batch: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
    "NOPERM User flashsale has no permissions to run the 'info' command",
    // A transaction's commands cut off by a reconnect (a failover's READONLY reply makes ioredis reconnect).
    'Command aborted due to connection close',
  ])('answers 503 with Retry-After for %s', (message) => {
    const out = answer(new Error(message));
    expect([out.status, out.headers['retry-after'], (out.body as { code: string }).code]).toEqual([503, '1', 'service_unavailable']);
  });

  it('tells a buyer whose purchase failed that way to retry the same code, as its outcome is unknown', () => {
    expect((answer(new Error('Connection is closed.'), 'POST', '/purchase?code=1-A').body as { detail: string }).detail).toMatch(
      /may or may not have been made\. Retry with the same code/,
    );
    expect((answer(new Error('Connection is closed.')).body as { detail: string }).detail).toBe(
      'A backing service is unavailable; try again shortly.',
    );
  });

  it('logs the path of a failed request, never its query (user ids, checkout codes)', () => {
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } as unknown as Logger;
    const fail = (e: Error) =>
      sent((r) =>
        answerException(
          e,
          { method: 'POST', url: '/purchase?code=7-SECRETCODE&user_id=ann' } as FastifyRequest,
          Object.assign(r, { sent: false }),
          logger,
        ),
      );
    fail(new Error('Command timed out'));
    fail(new Error('a bug'));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/SECRETCODE|ann/);
    expect(lines[0]).toMatch(/^POST \/purchase: /);
  });

  it('answers 503 for a transaction Redis discarded because it refused a command for now, 500 when for a bug', () => {
    const discarded = (cause: string) =>
      Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error(cause)] });
    expect(answer(discarded('NOREPLICAS Not enough good replicas to write.')).status).toBe(503);
    expect(answer(discarded("OOM command not allowed when used memory > 'maxmemory'.")).status).toBe(503);
    expect(answer(discarded("ERR wrong number of arguments for 'hset' command")).status).toBe(500);
  });

  it('keeps 500 for what is not a dependency away', () => {
    expect(answer(new Error('Cannot read properties of undefined (reading "x")')).status).toBe(500);
    expect(answer(new Error('the task was MOVED to another queue')).status).toBe(500);
    expect(answer(new Error('ERR the MISCONF word in a message that is not a refusal')).status).toBe(500);
  });
});
