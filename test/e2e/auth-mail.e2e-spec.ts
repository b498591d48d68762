import { AddressInfo, Server, Socket, createServer } from 'node:net';
import request from 'supertest';
import { TestApp, startTestApp } from '../support/test-app';
import { rawRedis, wipeState } from '../support/test-env';

jest.setTimeout(30_000);

/*
 * AUTH_MODE=session with SMTP_URL: the sign-in code goes out over SMTP, to a small SMTP server of the test's
 * own. When that server refuses the mail, the sign-in is a 503 (the service's trouble, not a bug) and leaves
 * no session behind; it was a 500 with an orphaned session.
 */

/** An SMTP server that speaks just enough for nodemailer: it keeps each message, or refuses every recipient. */
class TestSmtpServer {
  readonly messages: string[] = [];
  refuseRecipients = false;
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
        else if (verb === 'RCPT') socket.write(this.refuseRecipients ? '550 5.1.1 no such mailbox\r\n' : '250 recipient ok\r\n');
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

it('answers 503, and keeps no session, when the SMTP server refuses the mail', async () => {
  const before = await sessionKeys();
  smtp.refuseRecipients = true;
  try {
    const res = await request(t.url).post('/auth/login').send({ email: 'mia@example.com', password: 'correct horse battery' });
    expect([res.status, res.headers['content-type'], res.body.code, res.headers['retry-after']]).toEqual([
      503,
      'application/problem+json; charset=utf-8',
      'service_unavailable',
      '1',
    ]);
    expect(res.headers['set-cookie']).toBeUndefined();
  } finally {
    smtp.refuseRecipients = false;
  }
  expect((await sessionKeys()).sort()).toEqual(before.sort());
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
