import { readFileSync } from 'node:fs';
import { Transform, plainToInstance } from 'class-transformer';
import ipaddr from 'ipaddr.js';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';

/*
 * Every setting comes from an environment variable, checked once at start. A bad value stops the process
 * with a message naming the variable (see ConfigError); nothing reads process.env anywhere else.
 */

const toInt = () => Transform(({ value }) => (typeof value === 'string' && /^-?[0-9]+$/.test(value.trim()) ? Number(value.trim()) : value));
const toFloat = () =>
  Transform(({ value }) => (typeof value === 'string' && /^[0-9]*\.?[0-9]+$/.test(value.trim()) ? Number(value.trim()) : value));
const RATE = /^(off|[1-9][0-9]{0,8}\/[1-9][0-9]{0,6}(ms|s|m|h))$/;
const RATE_MESSAGE = { message: 'must be "<requests>/<window>" such as 30/10s (ms, s, m or h), or off' };
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false };
const HOST_PORT_LIST = /^\s*[A-Za-z0-9.:_\[\]-]+:[0-9]{1,5}\s*(,\s*[A-Za-z0-9.:_\[\]-]+:[0-9]{1,5}\s*)*$/;
const HOST_PORT_LIST_MESSAGE = { message: 'must list host:port pairs, comma-separated' };
const toBool = () => Transform(({ value }) => (typeof value === 'string' ? (BOOLEANS[value.trim().toLowerCase()] ?? value) : value));

export class AppConfig {
  @toInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^[A-Za-z0-9.:_-]+$/, { message: 'must be a host name or IP address' })
  HOST = '127.0.0.1';

  /** Standalone Redis (or a primary with replicas): redis://[user:password@]host:port[/db], rediss:// for TLS. */
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Redis Sentinel: the sentinels, host:port,host:port,... (with REDIS_SENTINEL_MASTER). */
  @IsOptional()
  @Matches(HOST_PORT_LIST, HOST_PORT_LIST_MESSAGE)
  REDIS_SENTINELS?: string = undefined;

  /** Redis Sentinel: the name of the monitored primary. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be a Sentinel master name (letters, digits, . _ -)' })
  REDIS_SENTINEL_MASTER?: string = undefined;

  /** Redis Cluster: some of its nodes, host:port,host:port,... (the rest are discovered). */
  @IsOptional()
  @Matches(HOST_PORT_LIST, HOST_PORT_LIST_MESSAGE)
  REDIS_CLUSTER_NODES?: string = undefined;

  /** ACL user and password for REDIS_SENTINELS / REDIS_CLUSTER_NODES (REDIS_URL carries its own). */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,256}$/, { message: 'must be 1 to 256 printable characters without spaces' })
  REDIS_USERNAME?: string = undefined;

  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,512}$/, { message: 'must be 1 to 512 printable characters without spaces' })
  REDIS_PASSWORD?: string = undefined;

  /** The sentinels' own password, when they have one (requirepass on the sentinels). */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,512}$/, { message: 'must be 1 to 512 printable characters without spaces' })
  REDIS_SENTINEL_PASSWORD?: string = undefined;

  /** TLS to REDIS_SENTINELS / REDIS_CLUSTER_NODES (REDIS_URL says it with rediss://). */
  @toBool()
  @IsBoolean()
  REDIS_TLS = false;

  /** A PEM file of the CA that signed Redis's certificate, when it is not a public one (any topology). */
  @IsOptional()
  @IsString()
  REDIS_TLS_CA_FILE?: string = undefined;

  /**
   * When a purchase is confirmed. replica: only once at least one replica holds it (Redis WAIT, one per turn of
   * the event loop for all purchases finished in it), so a failover cannot undo it; none: as soon as the
   * primary has it. Unset: replica whenever the topology has replicas (decided when Redis is first reached).
   */
  @IsOptional()
  @IsIn(['none', 'replica'])
  PURCHASE_DURABILITY?: 'none' | 'replica' = undefined;

  /** With replica durability, how long a purchase waits for a replica to confirm before answering 503. */
  @toInt()
  @IsInt()
  @Min(10)
  @Max(60_000)
  PURCHASE_REPLICA_TIMEOUT_MS = 250;

  /**
   * With replica durability, how many replicas must hold a purchase before it is confirmed. 1 survives the
   * loss of the primary; with two replicas per primary, 2 also survives a split that leaves the old primary
   * with one replica while the other is promoted, at the price of 503s while either replica is away.
   */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(16)
  PURCHASE_REPLICA_ACKS = 1;

  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'must be a postgresql:// URL' })
  DATABASE_URL = 'postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale';

  /** Length of each recurring sale; 3600 gives a sale at the top of every UTC hour. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(31 * 24 * 3600)
  SALE_DURATION_SECONDS = 3600;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SALE_ITEMS = 10_000;

  /** Units that may be sold in the whole sale. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  SALE_CAP = 10_000;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  SALE_PER_USER_LIMIT = 10;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SALE_UNITS_PER_ITEM = 1;

  /** Recurring sales allow one purchase per user (on top of SALE_PER_USER_LIMIT items). */
  @toBool()
  @IsBoolean()
  SALE_ONE_PURCHASE_PER_USER = false;

  /** How long a sale's live state stays in Redis after the sale ends. */
  @toInt()
  @IsInt()
  @Min(60)
  @Max(365 * 24 * 3600)
  SALE_RETENTION_SECONDS = 24 * 3600;

  /** Create and load the current and next recurring sale automatically. */
  @toBool()
  @IsBoolean()
  SALE_SCHEDULER_ENABLED = true;

  @toInt()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SALE_SCHEDULER_INTERVAL_MS = 5_000;

  /**
   * How often every sale not ended is checked to be loaded and registered, and loaded again from PostgreSQL if
   * Redis lost it (0: never; then a lost operator's sale stays unknown until someone loads it).
   */
  @toInt()
  @ValidateIf((c: AppConfig) => c.SALE_KEEPER_INTERVAL_MS !== 0)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SALE_KEEPER_INTERVAL_MS = 5_000;

  /** Run the order worker in this process (the default). */
  @toBool()
  @IsBoolean()
  WORKER_ENABLED = true;

  /** Run only the background work (worker, relays, scheduler), no HTTP. Same as `node dist/worker.js`. */
  @toBool()
  @IsBoolean()
  WORKER_ONLY = false;

  /** Order batches written at once; keep at or below DATABASE_POOL_SIZE. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 4;

  /** Attempts for an order PostgreSQL refused before it becomes a dead letter. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100)
  ORDER_MAX_ATTEMPTS = 5;

  /** First pause between attempts of a failing order job; it doubles each time. */
  @toInt()
  @IsInt()
  @Min(10)
  @Max(600_000)
  ORDER_RETRY_BACKOFF_MS = 1_000;

  /** Most orders per queued batch (and per PostgreSQL transaction). */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(5000)
  ORDER_BATCH_SIZE = 250;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_SIZE = 10;

  /**
   * A Redis command that takes longer fails the request with 503 instead of hanging it. A healthy Redis
   * answers a sale script in well under a millisecond; half a second leaves room for a stalled event loop.
   */
  @toInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 500;

  /**
   * Bearer token of the admin API and dashboard (/admin). Unset: the admin API is off. Compared in constant
   * time and kept only in memory, as given.
   */
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{16,512}$/, { message: 'must be 16 to 512 printable characters without spaces' })
  ADMIN_TOKEN?: string = undefined;

  /** The virtual waiting room in front of checkout and purchase (README "The waiting room"). */
  @IsIn(['on', 'off'])
  WAITING_ROOM: 'on' | 'off' = 'off';

  /** How long before a sale starts its line opens (joins before the start are put in random order). */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(7 * 24 * 3600)
  WAITING_ROOM_OPENS_BEFORE_SECONDS = 900;

  /** Buyers admitted per second and sale (changeable per sale at run time: line:rate). */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  WAITING_ROOM_ADMIT_PER_SECOND = 50;

  /** How long an admission is valid; an admission not used by then gives its turn back. */
  @toInt()
  @IsInt()
  @Min(10)
  @Max(24 * 3600)
  WAITING_ROOM_ADMISSION_SECONDS = 300;

  /** At most this many admitted buyers who have not used their limit yet per unit still for sale. */
  @toFloat()
  @IsNumber()
  @Min(0.01)
  @Max(1000)
  WAITING_ROOM_ADMITTED_PER_UNIT = 1;

  /** A waiting buyer not seen for this long (no read of the line, no open event stream) loses the place. */
  @toInt()
  @IsInt()
  @Min(5)
  @Max(24 * 3600)
  WAITING_ROOM_HEARTBEAT_SECONDS = 60;

  /** HMAC key of the admissions (shared by every instance of a fleet). `npm start` makes one in .data/. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{32,512}$/, { message: 'must be 32 to 512 printable characters without spaces' })
  WAITING_ROOM_SECRET?: string = undefined;

  /** Leading zero bits of the hashcash stamp a buyer sends to join (0: no proof of work asked). */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(32)
  WAITING_ROOM_POW_BITS = 0;

  /**
   * How buyers are identified. session (default): accounts with e-mail, password and a mailed one-time code;
   * jwt: bearer tokens from an identity provider (user id = sub); trusted: user_id from an upstream that
   * authenticated already.
   */
  @IsIn(['trusted', 'session', 'jwt'])
  AUTH_MODE: 'trusted' | 'session' | 'jwt' = 'session';

  @toInt()
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  SESSION_TTL_SECONDS = 12 * 3600;

  /**
   * How long an instance answers for a verified session from memory (milliseconds; 0: ask Redis on every
   * request). Sign-outs reach every instance at once by a Redis notice; this bounds how long a lost notice
   * (the notice connection down) or a session key deleted in Redis by hand goes unseen.
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  SESSION_CACHE_MS = 5_000;

  /** Mark the session cookie Secure (only sent over HTTPS). Turn on wherever the service is behind HTTPS. */
  @toBool()
  @IsBoolean()
  SESSION_COOKIE_SECURE = false;

  /** How long a one-time sign-in code is valid, and how many wrong tries lock it. */
  @toInt()
  @IsInt()
  @Min(30)
  @Max(3600)
  OTP_TTL_SECONDS = 300;

  @toInt()
  @IsInt()
  @Min(1)
  @Max(20)
  OTP_MAX_ATTEMPTS = 5;

  /** smtp(s)://user:password@host:port for the one-time codes. Unset: codes go to the log and the mail outbox. */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string = undefined;

  /** An address, bare or with a name: `Flashsale <no-reply@shop.example>`. */
  @IsString()
  @Matches(/^(?=.{3,200}$)(?:(?:"[^"\r\n]*"|[^<>@"\r\n]*)\s*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, {
    message: 'must be a mail address, bare or as "Name <address>", up to 200 characters',
  })
  MAIL_FROM = 'Flashsale <no-reply@flashsale.local>';

  /** jwt mode: an HS256 secret (at least 32 characters), or a JWKS URL or file with the provider's keys. */
  @IsOptional()
  @Matches(/^.{32,}$/, { message: 'must have at least 32 characters' })
  JWT_SECRET?: string = undefined;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an https:// URL (http:// only to this machine)' })
  JWT_JWKS_URL?: string = undefined;

  @IsOptional()
  @IsString()
  JWT_JWKS_FILE?: string = undefined;

  /** jwt mode: required issuer (iss) and audience (aud), when set. */
  @IsOptional()
  @IsString()
  JWT_ISSUER?: string = undefined;

  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string = undefined;

  /** Proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated). Unset: the socket's address. */
  @IsOptional()
  @Matches(/^\s*[0-9a-fA-F:.]+(\/\d{1,3})?\s*(,\s*[0-9a-fA-F:.]+(\/\d{1,3})?\s*)*$/, {
    message: 'must list IP addresses or CIDR ranges, comma-separated',
  })
  TRUST_PROXY?: string = undefined;

  /** Rate limiting on or off (off: for benchmarks, or behind a gateway that limits already). */
  @IsIn(['on', 'off'])
  RATE_LIMIT: 'on' | 'off' = 'on';

  /** Limits per route group and per client IP or user, "<requests>/<window>" (window in ms, s, m, h) or "off". */
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_AUTH_IP = '30/1m';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_AUTH_USER = '10/5m';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_BUY_IP = '1000/10s';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_BUY_USER = '30/10s';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_READ_IP = '3000/10s';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_READ_USER = 'off';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_EVENTS_IP = '60/1m';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_EVENTS_USER = 'off';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_ADMIN_IP = '600/1m';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_ADMIN_USER = 'off';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_LINE_IP = '60/1m';
  @Matches(RATE, RATE_MESSAGE) RATE_LIMIT_LINE_USER = '30/1m';

  /** How often Redis and PostgreSQL are reconciled (0: never, only on demand; else at least a second). */
  @toInt()
  @ValidateIf((c: AppConfig) => c.RECONCILE_INTERVAL_MS !== 0)
  @IsInt()
  @Min(1_000)
  @Max(24 * 3_600_000)
  RECONCILE_INTERVAL_MS = 60_000;

  /** Purchases younger than this are still on their way to PostgreSQL, so the reconciler leaves them. */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(24 * 3_600_000)
  RECONCILE_GRACE_MS = 30_000;

  /** How long an Idempotency-Key and its stored answer are kept. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600;

  /** On SIGTERM, how long in-flight requests and jobs get to finish. */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  /**
   * Share of requests logged (one JSON line each, at info); server errors are always logged. Logging every
   * request (1) costs more than 10% of throughput on the cheapest routes (see the README's benchmark), so a
   * 1% sample is the default.
   */
  @toFloat()
  @IsNumber()
  @Min(0)
  @Max(1)
  LOG_REQUEST_SAMPLE_RATE = 0.01;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and checks the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defaults = new AppConfig();
  const given: Record<string, string> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') given[key] = value;
  }
  const config = plainToInstance(AppConfig, given);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.map(
      (e) => `  ${e.property}=${shown(e.property, given[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const missing = crossFieldProblems(config, given);
  if (missing.length > 0) throw new ConfigError(`invalid configuration:\n${missing.map((m) => `  ${m}`).join('\n')}`);
  return config;
}

/** A rule that involves several variables, broken: each variable shown with its value, then why. */
function broken(given: Record<string, string>, vars: string[], why: string): string {
  return `${vars.map((v) => `${v}=${shown(v, given[v])}`).join(' ')}: ${why}`;
}

/** One Redis topology, fully described. */
function redisTopologyProblems(c: AppConfig, given: Record<string, string>): string[] {
  const problems: string[] = [];
  const chosen = [
    given.REDIS_URL !== undefined && 'REDIS_URL',
    c.REDIS_SENTINELS && 'REDIS_SENTINELS',
    c.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES',
  ].filter((v): v is string => Boolean(v));
  if (chosen.length > 1) problems.push(broken(given, chosen, 'name different Redis topologies: set only one of them'));
  if (c.REDIS_SENTINELS && !c.REDIS_SENTINEL_MASTER)
    problems.push(broken(given, ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER'], "Sentinel needs the primary's name too"));
  if (c.REDIS_SENTINEL_MASTER && !c.REDIS_SENTINELS)
    problems.push(broken(given, ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINELS'], "the primary's name needs the sentinels too"));
  const lists = c.REDIS_SENTINELS || c.REDIS_CLUSTER_NODES;
  for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
    if (!lists && given[name] !== undefined)
      problems.push(broken(given, [name], 'is for REDIS_SENTINELS / REDIS_CLUSTER_NODES; with REDIS_URL put it in the URL'));
  }
  if (!lists && given.REDIS_TLS !== undefined && c.REDIS_TLS)
    problems.push(broken(given, ['REDIS_TLS'], 'is for REDIS_SENTINELS / REDIS_CLUSTER_NODES; with REDIS_URL use rediss://'));
  if (c.REDIS_SENTINEL_PASSWORD && !c.REDIS_SENTINELS)
    problems.push(broken(given, ['REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINELS'], 'a sentinel password needs sentinels'));
  return problems;
}

/**
 * Values whose shape a pattern cannot settle: a CIDR prefix in range, a URL that parses, a key set that
 * exists and reads. Caught here, they stop the start with the variable's name, not with a library's error.
 */
function valueProblems(c: AppConfig, given: Record<string, string>): string[] {
  const problems: string[] = [];
  const badProxies = (c.TRUST_PROXY ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !(p.includes('/') ? ipaddr.isValidCIDR(p) : ipaddr.isValid(p)));
  if (badProxies.length > 0) problems.push(broken(given, ['TRUST_PROXY'], `not an IP address or CIDR range: ${badProxies.join(', ')}`));
  const lists = { REDIS_SENTINELS: c.REDIS_SENTINELS, REDIS_CLUSTER_NODES: c.REDIS_CLUSTER_NODES };
  for (const [name, list] of Object.entries(lists)) {
    const badPorts = (list ?? '').split(',').filter((pair) => !validPort(pair.trim().split(':').at(-1)!));
    if (list && badPorts.length > 0)
      problems.push(broken(given, [name], `ports must be 1 to 65535: ${badPorts.map((p) => p.trim()).join(', ')}`));
  }
  if (!c.REDIS_SENTINELS && !c.REDIS_CLUSTER_NODES) {
    const why = urlProblem(c.REDIS_URL, /^\/?$|^\/[0-9]{1,5}$/, 'a database number, such as /0');
    if (why) problems.push(broken(given, ['REDIS_URL'], why));
  }
  const pgWhy = urlProblem(c.DATABASE_URL, /^\/[^/]+$/, 'the database name, such as /flashsale');
  if (pgWhy) problems.push(broken(given, ['DATABASE_URL'], pgWhy));
  if (c.REDIS_TLS_CA_FILE) {
    const tls = c.REDIS_SENTINELS || c.REDIS_CLUSTER_NODES ? c.REDIS_TLS : c.REDIS_URL.startsWith('rediss://');
    const why = tls ? pemFileProblem(c.REDIS_TLS_CA_FILE) : 'is set, but Redis is reached without TLS (rediss://, or REDIS_TLS=true)';
    if (why) problems.push(broken(given, ['REDIS_TLS_CA_FILE'], why));
  }
  if (c.JWT_JWKS_URL && !URL.canParse(c.JWT_JWKS_URL)) problems.push(broken(given, ['JWT_JWKS_URL'], 'is not a URL that parses'));
  else if (c.JWT_JWKS_URL && !jwksUrlIsSafe(new URL(c.JWT_JWKS_URL))) {
    // Keys fetched in clear can be swapped by anyone on the way, and with them any token forged.
    problems.push(broken(given, ['JWT_JWKS_URL'], 'must be https:// (http:// only for a loopback host such as 127.0.0.1)'));
  }
  if (c.AUTH_MODE === 'jwt' && c.JWT_JWKS_FILE) {
    const why = jwksFileProblem(c.JWT_JWKS_FILE);
    if (why) problems.push(broken(given, ['JWT_JWKS_FILE'], why));
  }
  return problems;
}

function validPort(raw: string): boolean {
  return /^[0-9]{1,5}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 65535;
}

/** A connection URL the client would choke on (it names no variable): one that does not parse, no host, a bad path. */
function urlProblem(url: string, path: RegExp, pathMeans: string): string | null {
  if (!URL.canParse(url)) return 'is not a URL that parses (a port must be a number from 1 to 65535)';
  const u = new URL(url);
  // No host is pg's way to a unix socket given as ?host=/var/run/postgresql.
  if (!u.hostname && !u.searchParams.get('host')) return 'names no host';
  if (u.port !== '' && !validPort(u.port)) return 'has a port outside 1 to 65535';
  if (!path.test(u.pathname)) return `has a path that is not ${pathMeans}`;
  return null;
}

function pemFileProblem(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----') ? null : 'holds no PEM certificate';
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

/** https://, or http:// to this machine itself (a sidecar, a test's key server). */
function jwksUrlIsSafe(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

function jwksFileProblem(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  try {
    const keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys;
    const usable =
      Array.isArray(keys) &&
      keys.length > 0 &&
      keys.every((k) => typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string');
    return usable ? null : 'is not a JSON Web Key Set ({"keys": [...]}, at least one key, each with its "kty")';
  } catch {
    return 'is not JSON';
  }
}

/** Rules that involve several variables. */
function crossFieldProblems(c: AppConfig, given: Record<string, string>): string[] {
  const problems: string[] = [...valueProblems(c, given)];
  // The event streams and the admin API read no buyer's credentials: with sessions or JWTs there is no user
  // to count, only the address. (Some read routes do read them, GET /auth/me and a buyer's place in line.)
  if (c.AUTH_MODE !== 'trusted') {
    for (const name of ['RATE_LIMIT_EVENTS_USER', 'RATE_LIMIT_ADMIN_USER'] as const) {
      if (given[name] !== undefined && c[name] !== 'off')
        problems.push(broken(given, [name, 'AUTH_MODE'], "these routes read no buyer's credentials, so no user is counted: set it to off"));
    }
  }
  if (c.AUTH_MODE === 'jwt' && !c.JWT_SECRET && !c.JWT_JWKS_URL && !c.JWT_JWKS_FILE) {
    problems.push(broken(given, ['AUTH_MODE', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'], 'jwt needs one of the three key sources'));
  }
  const keySources = ['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'].filter((v) => given[v] !== undefined);
  if (keySources.length > 1) problems.push(broken(given, keySources, 'set only one JWT key source'));
  problems.push(...redisTopologyProblems(c, given));
  if (c.WAITING_ROOM === 'on' && !c.WAITING_ROOM_SECRET) {
    problems.push(
      broken(given, ['WAITING_ROOM', 'WAITING_ROOM_SECRET'], 'the waiting room signs admissions: set a secret (npm start makes one)'),
    );
  }
  // A purchase answered again from its key is confirmed by reading its checkout record back (replica
  // durability): the record must outlive the key, and records go with the sale's retention.
  if (c.IDEMPOTENCY_KEY_TTL_SECONDS > c.SALE_RETENTION_SECONDS) {
    problems.push(
      broken(
        given,
        ['IDEMPOTENCY_KEY_TTL_SECONDS', 'SALE_RETENTION_SECONDS'],
        "a key must not outlive its sale's records, which a replay is answered and confirmed from",
      ),
    );
  }
  // Each run makes sure of the current and the next sale: runs further apart than one sale would skip sales.
  if (c.SALE_SCHEDULER_ENABLED && c.SALE_SCHEDULER_INTERVAL_MS > c.SALE_DURATION_SECONDS * 1000) {
    problems.push(
      broken(
        given,
        ['SALE_SCHEDULER_INTERVAL_MS', 'SALE_DURATION_SECONDS'],
        'the scheduler must run at least once per sale, or some sales are never created',
      ),
    );
  }
  if (c.WORKER_CONCURRENCY > c.DATABASE_POOL_SIZE) {
    problems.push(
      `WORKER_CONCURRENCY=${c.WORKER_CONCURRENCY} DATABASE_POOL_SIZE=${c.DATABASE_POOL_SIZE}: concurrency above the pool size would make batches wait for connections`,
    );
  }
  return problems;
}

/** A value as it may appear in an error message: secrets hidden, passwords cut out of URLs. */
function shown(key: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (/TOKEN|SECRET|PASSWORD|KEY/.test(key)) return `(hidden, ${value.length} characters)`;
  return JSON.stringify(value.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@'));
}
