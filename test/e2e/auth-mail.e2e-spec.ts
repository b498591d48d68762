import { AddressInfo, Server, Socket, createServer } from 'node:net';
import request from 'supertest';
import { TestApp, startTestApp } from '../support/test-app';
import { rawRedis, wipeState } from '../support/test-env';

jest.setTimeout(30_000);

/*
 * AUTH_MODE=session with SMTP_URL: the sign-in code goes out over SMTP, to a small SMTP server of the test's
 * own. When that server cannot take the mail, the sign-in is a 503 (the service's trouble, not a bug) and
 * leaves no session behind; it was a 500 with an orphaned session. When it refuses the address for good (no
 * such mailbox), the sign-in is a 422 that no retry changes.
 */

/** An SMTP server that speaks just enough for nodemailer: it keeps each message, or refuses every recipient. */
class TestSmtpServer {
  readonly messages: string[] = [];
  /** Its answer to RCPT TO when it refuses recipients (null: it takes them). */
  recipientRefusal: string | null = null;
  /** Accept connections and say nothing: a server that hangs. */
  stall = false;
  private readonly server: Server;

  private constructor() {
    this.server = createServer((socket) => this.converse(socket));
  }

  static async start(): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer();
    await new Promise<void>((resolve) => smtp.server.listen(0, '127.0.0.1', resolve));
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private converse(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.stall) return;
    let buffered = '';
    let data: string | null = null;
    socket.setEncoding('utf8');
    socket.write('220 test-smtp ready\r\n');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            this.messages.push(data);
            data = null;
            socket.write('250 queued\r\n');
          } else data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 test-smtp\r\n');
        else if (verb === 'MAIL') socket.write('250 sender ok\r\n');
        else if (verb === 'RCPT') socket.write(`${this.recipientRefusal ?? '250 recipient ok'}\r\n`);
        else if (verb === 'DATA') {
          data = '';
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n');
        else socket.write('502 not implemented\r\n');
      }
    });
  }
}

let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  await wipeState();
  smtp = await TestSmtpServer.start();
  t = await startTestApp({ AUTH_MODE: 'session', SMTP_URL: smtp.url, MAIL_FROM: 'Flashsale <no-reply@flashsale.test>' });
  const res = await request(t.url).post('/auth/register').send({ email: 'mia@example.com', password: 'correct horse battery' });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

async function sessionKeys(): Promise<string[]> {
  const redis = rawRedis();
  try {
    return await redis.keys('flashsale:session:*');
  } finally {
    redis.disconnect();
  }
}

it('mails the sign-in code over SMTP', async () => {
  const res = await request(t.url).post('/auth/login').send({ email: 'mia@example.com', password: 'correct horse battery' });
  expect(res.status).toBe(200);
  expect(res.body.codeDelivery).toBe('email');
  const mail = smtp.messages.at(-1) ?? '';
  expect(mail).toMatch(/^To: mia@example\.com$/m);
  expect(mail).toMatch(/^Subject: Your Flashsale code: \d{6}$/m);
});

async function loginWhileRecipientsRefused(refusal: string): Promise<request.Response> {
  smtp.recipientRefusal = refusal;
  try {
    return await request(t.url).post('/auth/login').send({ email: 'mia@example.com', password: 'correct horse battery' });
  } finally {
    smtp.recipientRefusal = null;
  }
}

it.each(['550 5.7.1 relaying denied', '450 4.2.1 mailbox busy, try later'])(
  'answers 503, and keeps no session, when the SMTP server will not take the mail (%s)',
  async (refusal) => {
    const before = await sessionKeys();
    const res = await loginWhileRecipientsRefused(refusal);
    expect([res.status, res.headers['content-type'], res.body.code, res.headers['retry-after']]).toEqual([
      503,
      'application/problem+json; charset=utf-8',
      'service_unavailable',
      '1',
    ]);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await sessionKeys()).sort()).toEqual(before.sort());
  },
);

it('answers 422 email_undeliverable, without Retry-After, and keeps no session, when the address has no mailbox', async () => {
  const before = await sessionKeys();
  const res = await loginWhileRecipientsRefused('550 5.1.1 <mia@example.com>: no such mailbox');
  expect([res.status, res.headers['content-type'], res.body.code, res.headers['retry-after']]).toEqual([
    422,
    'application/problem+json; charset=utf-8',
    'email_undeliverable',
    undefined,
  ]);
  expect(res.headers['set-cookie']).toBeUndefined();
  expect(res.body.token).toBeUndefined();
  expect((await sessionKeys()).sort()).toEqual(before.sort());
  // Nothing else was spoiled: once the address takes mail again, the sign-in works.
  const again = await request(t.url).post('/auth/login').send({ email: 'mia@example.com', password: 'correct horse battery' });
  expect(again.status).toBe(200);
});

it('answers 503 within seconds, not minutes, when the SMTP server hangs', async () => {
  const before = await sessionKeys();
  smtp.stall = true;
  const started = Date.now();
  try {
    const res = await request(t.url)
      .post('/auth/login')
      .send({ email: 'mia@example.com', password: 'correct horse battery' })
      .timeout(20_000);
    expect([res.status, res.body.code]).toEqual([503, 'service_unavailable']);
  } finally {
    smtp.stall = false;
  }
  // The mailer's 5 s greeting timeout, and a margin; nodemailer's default would have waited 30 s to 2 minutes.
  expect(Date.now() - started).toBeLessThan(15_000);
  expect((await sessionKeys()).sort()).toEqual(before.sort());
});
