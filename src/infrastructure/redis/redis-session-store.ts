import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { OtpCheck, Session, SessionStore } from '../../application/identity/session-store.port';
import { Email } from '../../domain/identity/email.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { decodeOtpCheck } from './script-replies';

const key = (token: string) => `flashsale:session:${createHash('sha256').update(token).digest('base64url')}`;

/** Sessions as Redis hashes that expire by themselves; keyed by a digest of the token, never the token. */
@Injectable()
export class RedisSessionStore extends SessionStore {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async create(
    token: string,
    session: Omit<Session, 'verified' | 'expiresAt'>,
    codeDigest: string,
    ttlMs: number,
    codeTtlMs: number,
  ): Promise<Session> {
    const now = Date.now();
    await this.redis.command
      .multi()
      .hset(key(token), {
        userId: session.userId,
        email: session.email,
        verified: '0',
        code: codeDigest,
        codeExpiresAt: String(now + codeTtlMs),
        attempts: '0',
        expiresAt: String(now + ttlMs),
      })
      .pexpire(key(token), ttlMs)
      .exec();
    return { ...session, verified: false, expiresAt: new Date(now + ttlMs) };
  }

  async get(token: string): Promise<Session | null> {
    const [userId, email, verified, expiresAt] = await this.redis.command.hmget(key(token), 'userId', 'email', 'verified', 'expiresAt');
    if (!userId) return null;
    return { userId: userId as UserId, email: email as Email, verified: verified === '1', expiresAt: new Date(Number(expiresAt)) };
  }

  async verifyCode(token: string, codeDigest: string, maxAttempts: number): Promise<OtpCheck> {
    return decodeOtpCheck(await runScript(this.redis.command, 'session-verify-code', [key(token)], [codeDigest, maxAttempts]));
  }

  async delete(token: string): Promise<void> {
    await this.redis.command.del(key(token));
  }
}
