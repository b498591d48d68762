import { hash } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AuthSettings } from '../../application/identity/auth-settings';
import { OtpCheck, Session, SessionStore } from '../../application/identity/session-store.port';
import { Email } from '../../domain/identity/email.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { runScript } from './lua-scripts';
import { ConnectionHeartbeat, SILENCE_MS } from './connection-heartbeat';
import { RedisConnections, closeConnection } from './redis-connections';
import { RedisClient } from './redis-topology';
import { decodeOtpCheck } from './script-replies';

// crypto.hash, one call on every request: less than half of createHash()'s cost (no Hash object per call).
const digestOf = (token: string) => hash('sha256', token, 'base64url');
const keyOf = (digest: string) => `flashsale:session:${digest}`;
const key = (token: string) => keyOf(digestOf(token));

/** Verified sessions an instance keeps in memory at most (the oldest go first). */
const CACHE_MAX_ENTRIES = 100_000;

/**
 * Sessions as Redis hashes that expire by themselves; keyed by a digest of the token, never the token.
 *
 * A verified session changes only by ending (sign-out or expiry), so each instance keeps the verified
 * sessions it has read for up to SESSION_CACHE_MS (never past their expiry): a buyer's requests then cost no
 * Redis round trip to authenticate. A sign-out deletes the session and publishes its digest; every instance
 * subscribed drops it at once. Memory is used only while that subscription is up: whenever the notice
 * connection drops, the cache is emptied and every request reads Redis until the subscription is back, so a
 * lost notice is bounded by the reconnect, and SESSION_CACHE_MS bounds what nothing notices (a session key
 * deleted in Redis by hand). A connection can also die without a word (a NAT or a load balancer forgetting
 * it): it is pinged every second, and nothing is answered from memory once it has gone unheard for 3 s.
 * Unverified sessions are never kept: verifying one must show at once on every instance. On a Cluster
 * nothing is kept: ioredis runs a Cluster's subscription on a hidden connection that it moves to another
 * node without telling, so the store could not know when it had missed a notice.
 */
@Injectable()
export class RedisSessionStore extends SessionStore implements OnApplicationShutdown {
  private readonly logger = new Logger('Sessions');
  private readonly cache = new Map<string, { readonly session: Session; readonly until: number }>();
  private notices?: RedisClient;
  /** True while the sign-out notices are subscribed: only then may a session be kept. */
  private listening = false;
  /**
   * Moves on every sign-out notice and every loss of the notice connection: a read during which it moved is
   * not kept (it may predate a sign-out whose notice arrived, or was lost, meanwhile).
   */
  private generation = 0;
  private closed = false;
  private readonly channel: string;
  /** Pings the notice connection once it is opened (listen()). */
  private heartbeat?: ConnectionHeartbeat;

  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: AuthSettings,
  ) {
    super();
    // Pub/sub ignores the db index: the channel names it, so two services sharing one Redis stay apart.
    this.channel = `flashsale:sessions:signed-out:db${redis.db}`;
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
    const digest = digestOf(token);
    const now = Date.now();
    const kept = this.cache.get(digest);
    if (kept) {
      if (kept.until > now && this.heard(now)) return kept.session;
      this.cache.delete(digest);
    }
    // Only a read that starts and ends while notices flow, with none arriving or lost meanwhile, may be kept.
    const generation = this.listening ? this.generation : -1;
    const [userId, email, verified, expiresAt] = await this.redis.command.hmget(keyOf(digest), 'userId', 'email', 'verified', 'expiresAt');
    if (!userId) return null;
    const session = { userId: userId as UserId, email: email as Email, verified: verified === '1', expiresAt: new Date(Number(expiresAt)) };
    if (session.verified && this.settings.sessionCacheMs > 0 && this.redis.kind !== 'cluster') this.keep(digest, session, now, generation);
    return session;
  }

  async verifyCode(token: string, codeDigest: string, maxAttempts: number): Promise<OtpCheck> {
    return decodeOtpCheck(await runScript(this.redis.command, 'session-verify-code', [key(token)], [codeDigest, maxAttempts]));
  }

  async delete(token: string): Promise<void> {
    const digest = digestOf(token);
    this.cache.delete(digest);
    // One transaction: the session never goes without its notice (no instance keeps a Cluster's sessions).
    if (this.redis.kind === 'cluster') await this.redis.command.del(keyOf(digest));
    else await this.redis.command.multi().del(keyOf(digest)).publish(this.channel, digest).exec();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.heartbeat?.stop();
    if (this.notices) await closeConnection(this.notices);
  }

  /** Whether the notice connection answered recently enough for the cache to be trusted. */
  private heard(now: number): boolean {
    return this.heartbeat?.heard(now) ?? false;
  }

  private keep(digest: string, session: Session, now: number, generation: number): void {
    if (!this.notices && !this.closed) this.listen();
    if (!this.listening || generation !== this.generation || !this.heard(now)) return;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(digest, { session, until: Math.min(now + this.settings.sessionCacheMs, session.expiresAt.getTime()) });
  }

  /** Subscribes to sign-out notices (on the first session worth keeping); the cache lives only while they flow. */
  private listen(): void {
    const notices = this.redis.open('sessions', { maxRetriesPerRequest: null });
    this.notices = notices;
    const subscribe = () =>
      notices.subscribe(this.channel).then(
        () => {
          this.listening = notices.status === 'ready';
          this.heartbeat?.answered();
        },
        (e: Error) => this.logger.warn(`sign-out notices not subscribed, sessions are read from Redis: ${e.message}`),
      );
    const deaf = () => {
      this.listening = false;
      this.generation++;
      this.cache.clear();
    };
    // Pinged whenever connected, so a connection that goes silent before its subscription is answered is
    // replaced too; memory is used only while it was heard within SILENCE_MS (heard()).
    this.heartbeat = new ConnectionHeartbeat(
      notices,
      () => notices.status === 'ready',
      () => {
        this.logger.warn(`sign-out notice connection silent for ${SILENCE_MS} ms: reconnecting; sessions are read from Redis meanwhile`);
        deaf();
        notices.disconnect(true);
      },
    );
    notices.on('message', (_channel: string, digest: string) => {
      this.generation++;
      this.cache.delete(digest);
    });
    notices.on('close', deaf);
    notices.on('end', deaf);
    notices.on('error', deaf);
    // ioredis subscribes again by itself after a reconnect; subscribing here too tells us when it is done.
    notices.on('ready', () => {
      deaf();
      void subscribe();
    });
    if (notices.status === 'ready') void subscribe();
  }
}
