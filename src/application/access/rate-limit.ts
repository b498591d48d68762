import { IPv6 } from 'ipaddr.js';

/** A limit: at most `limit` requests in any `windowMs` (a sliding window). */
export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowMs: number;
}

/** The groups routes are limited in; each may limit per client IP and per user. */
export const RATE_LIMIT_GROUPS = ['auth', 'buy', 'line', 'read', 'events', 'admin'] as const;
export type RateLimitGroup = (typeof RATE_LIMIT_GROUPS)[number];

/**
 * Groups whose windows must outlive a failover or a Redis restart: sign-in's windows are what stands between
 * a password or code guesser and an account, and they take few requests. The other groups' windows take a
 * write per request (every checkout and purchase) and only pace clients, so they stay on the primary alone.
 */
export const REPLICATED_GROUPS: ReadonlySet<RateLimitGroup> = new Set<RateLimitGroup>(['auth']);

export interface GroupLimits {
  readonly ip: RateLimitPolicy | null;
  readonly user: RateLimitPolicy | null;
}

/** Configured limits (infrastructure/config): RATE_LIMIT and RATE_LIMIT_<GROUP>_<IP|USER>. */
export class RateLimitSettings {
  constructor(
    readonly enabled: boolean,
    readonly groups: Readonly<Record<RateLimitGroup, GroupLimits>>,
  ) {}
}

/** "30/10s" -> 30 requests per 10 seconds; "off" -> no limit. Windows in ms, s, m or h. */
export function parseRateLimit(raw: string): RateLimitPolicy | null | undefined {
  if (raw === 'off') return null;
  const m = /^([1-9][0-9]{0,8})\/([1-9][0-9]{0,6})(ms|s|m|h)$/.exec(raw);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[3] as 'ms' | 's' | 'm' | 'h'];
  return { limit: Number(m[1]), windowMs: Number(m[2]) * unit };
}

export interface RateLimitCheck {
  /** Names the policy in the RateLimit headers, e.g. "buy-ip". */
  readonly name: string;
  readonly policy: RateLimitPolicy;
  /** What is counted: the group and the client IP or user. */
  readonly key: string;
  /** The window is kept by the store's replicas and log too (REPLICATED_GROUPS), not by its primary alone. */
  readonly replicated: boolean;
}

export interface RateLimitState {
  readonly check: RateLimitCheck;
  readonly remaining: number;
  readonly resetMs: number;
}

export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** Every window's state when the store was asked; when refused from memory, only the windows known full. */
  readonly states: RateLimitState[];
  /** Refused by what the limiter remembered of full windows, without asking the store. */
  readonly remembered?: boolean;
}

/**
 * What a per-IP window counts for a client address: an IPv4 address itself (an IPv4-mapped IPv6 address as
 * its IPv4 address); an IPv6 address by its /64, the block one subscriber is given and can use any address
 * of, so that rotating addresses within it does not escape the limit.
 */
export function ipWindowOf(ip: string): string {
  if (!IPv6.isValid(ip)) return ip;
  const address = IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  return `${address.parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`;
}
