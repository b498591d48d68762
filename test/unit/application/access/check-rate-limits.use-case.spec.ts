import {
  GroupLimits,
  RATE_LIMIT_GROUPS,
  RateLimitGroup,
  RateLimitSettings,
  parseRateLimit,
} from '../../../../src/application/access/rate-limit';
import { CheckRateLimitsUseCase } from '../../../../src/application/access/check-rate-limits.use-case';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemoryRateLimiter } from '../../../support/doubles/in-memory-rate-limiter';
import { RecordingMetrics } from '../../../support/doubles/recording-metrics';

const limits = (ip: string, user: string): GroupLimits => ({ ip: parseRateLimit(ip)!, user: parseRateLimit(user)! });

/** The documented defaults (README "Rate limits"). */
const groups: Record<RateLimitGroup, GroupLimits> = {
  auth: limits('30/1m', '10/5m'),
  buy: limits('1000/10s', '30/10s'),
  line: limits('60/1m', '30/1m'),
  read: limits('3000/10s', 'off'),
  events: limits('60/1m', 'off'),
  admin: limits('600/1m', 'off'),
};

describe('CheckRateLimitsUseCase', () => {
  let clock: FixedClock;
  let limiter: InMemoryRateLimiter;
  let check: CheckRateLimitsUseCase;
  let metrics: RecordingMetrics;

  beforeEach(() => {
    clock = new FixedClock();
    limiter = new InMemoryRateLimiter(clock);
    metrics = new RecordingMetrics();
    check = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(true, groups), metrics);
  });

  it('counts a buyer’s request per client IP and per user, in one step', async () => {
    const verdict = await check.execute('buy', '203.0.113.7', 'alice');

    expect(limiter.hits).toEqual([
      [
        { name: 'buy-ip', policy: { limit: 1000, windowMs: 10_000 }, key: 'buy:ip:203.0.113.7', replicated: false },
        { name: 'buy-user', policy: { limit: 30, windowMs: 10_000 }, key: 'buy:user:alice', replicated: false },
      ],
    ]);
    expect(verdict).toEqual({
      allowed: true,
      states: [expect.objectContaining({ remaining: 999, resetMs: 10_000 }), expect.objectContaining({ remaining: 29 })],
    });
  });

  it('asks for sign-in windows to be replicated (they must outlive a failover), and for no other group', async () => {
    for (const group of RATE_LIMIT_GROUPS) await check.execute(group, '203.0.113.7', 'alice');

    const replicated = limiter.hits.flat().filter((c) => c.replicated);
    expect(replicated.map((c) => c.name)).toEqual(['auth-ip', 'auth-user']);
    expect(limiter.hits.flat().length).toBeGreaterThan(replicated.length);
  });

  it('counts an IPv6 client by its /64, whichever address of it it uses', async () => {
    await check.execute('buy', '2001:db8:85a3:7:1::1', null);
    await check.execute('buy', '2001:DB8:85A3:0007:ffff:1:2:3', null);
    await check.execute('buy', '2001:db8:85a3:8::1', null);

    expect(limiter.hits.map((h) => h[0]!.key)).toEqual([
      'buy:ip:2001:db8:85a3:7::/64',
      'buy:ip:2001:db8:85a3:7::/64',
      'buy:ip:2001:db8:85a3:8::/64',
    ]);
  });

  it('says every group with a limit is limited, one limited per user only too', () => {
    const userOnly = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(true, { ...groups, read: limits('off', '5/1s') }), metrics);

    for (const group of RATE_LIMIT_GROUPS) expect(check.limits(group)).toBe(true);
    expect(userOnly.limits('read')).toBe(true);
  });

  it('counts per IP only when the caller is anonymous', async () => {
    await check.execute('auth', '203.0.113.7', null);

    expect(limiter.hits[0]!.map((c) => c.name)).toEqual(['auth-ip']);
  });

  it.each<RateLimitGroup>(['read', 'events', 'admin'])('does not count the %s group per user', async (group) => {
    await check.execute(group, '203.0.113.7', 'alice');

    expect(limiter.hits[0]!.map((c) => c.name)).toEqual([`${group}-ip`]);
  });

  it('refuses once a window is full, and then lets the request through when it slides', async () => {
    for (let i = 0; i < 10; i++) expect((await check.execute('auth', `198.51.100.${i}`, 'alice@example.com'))!.allowed).toBe(true);

    // A new IP, but the address has used its 10 sign-ins: refused, and counted nowhere.
    const refused = await check.execute('auth', '198.51.100.99', 'alice@example.com');
    expect(refused).toEqual({
      allowed: false,
      states: [expect.objectContaining({ remaining: 30 }), expect.objectContaining({ remaining: 0 })],
    });
    // Counted for monitoring, by group and by where the answer came from (here the store).
    expect(metrics.rateLimits).toEqual([{ group: 'auth', remembered: false }]);

    clock.advance(5 * 60_000);
    expect((await check.execute('auth', '198.51.100.99', 'alice@example.com'))!.allowed).toBe(true);
  });

  it('knows, counting nothing, that an address past its limit is refused whoever it says it is', async () => {
    const tight = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(true, { ...groups, buy: limits('2/10s', '30/10s') }), metrics);
    await tight.execute('buy', '203.0.113.7', 'alice');
    expect(tight.refusedFromMemory('buy', '203.0.113.7')).toBeNull();
    clock.advance(1_000);
    await tight.execute('buy', '203.0.113.7', 'bob');
    const hits = limiter.hits.length;

    expect(tight.refusedFromMemory('buy', '203.0.113.7')).toEqual({
      allowed: false,
      remembered: true,
      states: [{ check: expect.objectContaining({ name: 'buy-ip' }), remaining: 0, resetMs: 9_000 }],
    });
    expect(tight.refusedFromMemory('buy', '198.51.100.1')).toBeNull();
    expect(limiter.hits).toHaveLength(hits);
    expect(metrics.rateLimits).toEqual([{ group: 'buy', remembered: true }]);
  });

  it('asks nothing before credentials for a group with no per-address limit, or with limiting off', async () => {
    // The address's window full (the key does not depend on the policy), so only the settings can say no.
    const tight = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(true, { ...groups, buy: limits('1/10s', '30/10s') }), metrics);
    await tight.execute('buy', '203.0.113.7', 'alice');
    expect(tight.refusedFromMemory('buy', '203.0.113.7')).not.toBeNull();
    const userOnly = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(true, { ...groups, buy: limits('off', '1/10s') }), metrics);
    const off = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(false, groups), metrics);
    expect(userOnly.refusedFromMemory('buy', '203.0.113.7')).toBeNull();
    expect(off.refusedFromMemory('buy', '203.0.113.7')).toBeNull();
  });

  it('checks nothing for a group without any limit', async () => {
    const noLimits = new CheckRateLimitsUseCase(
      limiter,
      new RateLimitSettings(true, { ...groups, read: { ip: null, user: null } }),
      metrics,
    );

    expect(await noLimits.execute('read', '203.0.113.7', 'alice')).toBeNull();
    expect(limiter.hits).toEqual([]);
    // The guard skips the call for such a group (no promise on the request's way).
    expect(noLimits.limits('read')).toBe(false);
    expect(noLimits.limits('buy')).toBe(true);
  });

  it('checks nothing when rate limiting is off', async () => {
    const off = new CheckRateLimitsUseCase(limiter, new RateLimitSettings(false, groups), metrics);

    for (const group of RATE_LIMIT_GROUPS) expect(await off.execute(group, '203.0.113.7', 'alice')).toBeNull();
    expect(limiter.hits).toEqual([]);
    for (const group of RATE_LIMIT_GROUPS) expect(off.limits(group)).toBe(false);
  });
});

describe('parseRateLimit', () => {
  it.each([
    ['30/10s', { limit: 30, windowMs: 10_000 }],
    ['5/250ms', { limit: 5, windowMs: 250 }],
    ['10/5m', { limit: 10, windowMs: 300_000 }],
    ['1/1h', { limit: 1, windowMs: 3_600_000 }],
    ['off', null],
  ])('reads %s', (raw, policy) => {
    expect(parseRateLimit(raw)).toEqual(policy);
  });

  it.each(['', '0/10s', '10/0s', '10/10', '10 per 10s', '10/10d', 'OFF', '-1/10s'])('refuses %p', (raw) => {
    expect(parseRateLimit(raw)).toBeUndefined();
  });
});
