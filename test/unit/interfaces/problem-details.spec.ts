import type { FastifyReply } from 'fastify';
import { sendProblem } from '../../../src/interfaces/http/problem-details';

/** What sendProblem did to a reply: its status, headers and body. */
function sent(send: (reply: FastifyReply) => void): { status: number; headers: Record<string, string>; body: unknown } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    code: (status: number) => ((out.status = status), reply),
    header: (name: string, value: string) => ((out.headers[name] = value), reply),
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
