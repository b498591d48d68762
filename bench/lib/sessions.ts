import { callJson, inParallel } from './http';
import { log } from './processes';
import { writeList } from './sales';
import { S } from './settings';
import type { Ctx } from './scenario';

/*
 * Signed-in buyers for AUTH_MODE=session, made through the API as a buyer would: register, sign in, and
 * verify the one-time code. Without SMTP_URL the app keeps the mail in a capped Redis list (the outbox the
 * CLI's mail:outbox reads), which is where the bench reads the codes, as test/e2e/auth-session.e2e-spec.ts
 * does. Each user costs two scrypt hashes (register and sign-in), a third of a second or more each.
 */

const OUTBOX_KEY = 'flashsale:mail-outbox';
const PASSWORD = 'correct horse battery staple';
/** The outbox keeps the newest 1,000 mails: verify each batch's codes before the next batch signs in. */
const BATCH = 200;
/** scrypt runs on libuv's four threads: more at once only queues. */
const CONCURRENCY = 4;

interface SignedIn {
  readonly email: string;
  readonly token: string;
}

async function signUp(ctx: Ctx, email: string): Promise<SignedIn> {
  const port = ctx.server.port;
  await callJson(port, 'POST', '/auth/register', 201, { json: { email, password: PASSWORD } });
  const session = await callJson<{ token: string }>(port, 'POST', '/auth/login', 200, { json: { email, password: PASSWORD } });
  return { email, token: session.token };
}

/** The newest code mailed to each address, from the outbox. */
async function mailedCodes(ctx: Ctx): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const raw of await ctx.data.redis.lrange(OUTBOX_KEY, 0, -1)) {
    const mail = JSON.parse(raw) as { to: string; subject: string };
    const code = /\b(\d{6})\b/.exec(mail.subject)?.[1];
    if (code && !codes.has(mail.to)) codes.set(mail.to, code);
  }
  return codes;
}

async function verify(ctx: Ctx, users: readonly SignedIn[]): Promise<void> {
  const codes = await mailedCodes(ctx);
  await inParallel(users.length, CONCURRENCY, async (i) => {
    const u = users[i]!;
    const code = codes.get(u.email);
    if (!code) throw new Error(`no one-time code in the mail outbox for ${u.email}`);
    await callJson(ctx.server.port, 'POST', '/auth/verify-otp', 200, { json: { code }, headers: { authorization: `Bearer ${u.token}` } });
  });
}

/** S.sessionUsers verified sessions: the file of their bearer tokens, one a line. */
export function sessionTokens(ctx: Ctx): Promise<string> {
  return ctx.world.once('sessions', async () => {
    const started = Date.now();
    log(`signing up ${S.sessionUsers} users (register, sign in, one-time code from the mail outbox)`);
    const users: SignedIn[] = [];
    for (let from = 0; from < S.sessionUsers; from += BATCH) {
      const batch = new Array<SignedIn>(Math.min(BATCH, S.sessionUsers - from));
      await inParallel(batch.length, CONCURRENCY, async (i) => {
        batch[i] = await signUp(ctx, `bench-${from + i}@example.com`);
      });
      await verify(ctx, batch);
      users.push(...batch);
    }
    log(`${users.length} signed-in users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return writeList(
      'session-tokens',
      users.map((u) => u.token),
    );
  });
}
