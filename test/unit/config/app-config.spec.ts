import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/infrastructure/config/app-config';

/* Configuration is checked at start: a bad value stops the process with a message naming the variable. */

const problem = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('takes good connection URLs, mail addresses and a reconcile interval of 0', () => {
    expect(loadConfig({ REDIS_URL: 'redis://u:p@redis.internal:6380/3' }).REDIS_URL).toBe('redis://u:p@redis.internal:6380/3');
    expect(loadConfig({ REDIS_URL: 'rediss://redis.internal' }).REDIS_URL).toBe('rediss://redis.internal');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p%40ss@db:5433/shop?sslmode=require' }).DATABASE_URL).toContain('db:5433');
    expect(loadConfig({ MAIL_FROM: 'shop@example.com' }).MAIL_FROM).toBe('shop@example.com');
    expect(loadConfig({ MAIL_FROM: '"The Shop" <shop@example.com>' }).MAIL_FROM).toBe('"The Shop" <shop@example.com>');
    expect(loadConfig({ RECONCILE_INTERVAL_MS: '0' }).RECONCILE_INTERVAL_MS).toBe(0);
    expect(loadConfig({ MAIL_FROM: '"support@shop" <a@shop.example>' }).MAIL_FROM).toBe('"support@shop" <a@shop.example>');
    expect(loadConfig({ DATABASE_URL: 'postgresql:///flashsale?host=/var/run/postgresql' }).DATABASE_URL).toContain('host=');
    expect(loadConfig({ REDIS_URL: 'redis://[::1]:6379/0' }).REDIS_URL).toBe('redis://[::1]:6379/0');
  });

  it('checks a Redis CA file: readable, a PEM certificate, and only where TLS is used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashsale-ca-'));
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const notPem = join(dir, 'ca.txt');
    writeFileSync(notPem, 'hello');
    expect(loadConfig({ REDIS_URL: 'rediss://r:6379', REDIS_TLS_CA_FILE: pem }).REDIS_TLS_CA_FILE).toBe(pem);
    expect(problem({ REDIS_URL: 'rediss://r:6379', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') })).toMatch(
      /REDIS_TLS_CA_FILE=.*cannot be read \(ENOENT\)/,
    );
    expect(problem({ REDIS_URL: 'rediss://r:6379', REDIS_TLS_CA_FILE: notPem })).toMatch(/REDIS_TLS_CA_FILE=.*holds no PEM certificate/);
    expect(problem({ REDIS_URL: 'redis://r:6379', REDIS_TLS_CA_FILE: pem })).toMatch(/REDIS_TLS_CA_FILE=.*without TLS/);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: pem }).REDIS_TLS).toBe(true);
  });

  it('refuses idempotency keys that outlive the sale records they are answered from', () => {
    expect(problem({ IDEMPOTENCY_KEY_TTL_SECONDS: '172800' })).toMatch(
      /IDEMPOTENCY_KEY_TTL_SECONDS=.* SALE_RETENTION_SECONDS=\(unset\): a key must not outlive/,
    );
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL_SECONDS: '172800', SALE_RETENTION_SECONDS: '172800' }).IDEMPOTENCY_KEY_TTL_SECONDS).toBe(
      172800,
    );
  });

  it('refuses a scheduler that would run less than once per sale, unless it is off', () => {
    expect(problem({ SALE_DURATION_SECONDS: '2', SALE_SCHEDULER_INTERVAL_MS: '5000' })).toMatch(
      /SALE_SCHEDULER_INTERVAL_MS="5000" SALE_DURATION_SECONDS="2": the scheduler must run at least once per sale/,
    );
    expect(loadConfig({ SALE_DURATION_SECONDS: '5', SALE_SCHEDULER_INTERVAL_MS: '5000' }).SALE_DURATION_SECONDS).toBe(5);
    expect(loadConfig({ SALE_DURATION_SECONDS: '2', SALE_SCHEDULER_ENABLED: 'false' }).SALE_SCHEDULER_ENABLED).toBe(false);
  });

  it('takes the defaults for what is not set', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3000, SALE_ITEMS: 10_000, AUTH_MODE: 'session', RATE_LIMIT: 'on' });
  });

  it.each([
    ['PORT', 'abc'],
    ['SALE_ITEMS', '0'],
    ['WORKER_CONCURRENCY', '-1'],
    ['REDIS_URL', 'http://example'],
    ['RATE_LIMIT_BUY_IP', '10 per second'],
    ['AUTH_MODE', 'magic'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1'],
    ['REDIS_SENTINELS', 'sentinel-a:26379,sentinel-b'],
    ['PURCHASE_DURABILITY', 'always'],
    ['PURCHASE_REPLICA_TIMEOUT_MS', '5'],
    ['PURCHASE_REPLICA_ACKS', '0'],
    ['PURCHASE_REPLICA_ACKS', 'all'],
    ['REDIS_TLS', 'perhaps'],
    ['SALE_KEEPER_INTERVAL_MS', '50'],
    ['SALE_KEEPER_INTERVAL_MS', 'often'],
    // Values the clients would misread or choke on without naming the variable.
    ['REDIS_URL', 'redis://127.0.0.1:6379/abc'],
    ['REDIS_URL', 'redis://127.0.0.1:abc'],
    ['REDIS_URL', 'redis://127.0.0.1:0'],
    ['DATABASE_URL', 'postgresql://u:p@127.0.0.1:abc/db'],
    ['DATABASE_URL', 'postgresql://u:p@127.0.0.1:5432'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:7000,127.0.0.1:99999'],
    ['RECONCILE_INTERVAL_MS', '50'],
    ['MAIL_FROM', 'abc'],
    ['MAIL_FROM', 'Flashsale <no-reply>'],
  ])('names %s when it is %j', (name, value) => {
    expect(problem({ [name]: value })).toMatch(new RegExp(`^  ${name}=`, 'm'));
  });

  it('takes 0 for the sale keeper: off', () => {
    expect(loadConfig({ SALE_KEEPER_INTERVAL_MS: '0' }).SALE_KEEPER_INTERVAL_MS).toBe(0);
    expect(loadConfig({}).SALE_KEEPER_INTERVAL_MS).toBe(5_000);
  });

  it('never repeats a secret in the message', () => {
    const message = problem({ ADMIN_TOKEN: 'short secret', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(message).toMatch(/ADMIN_TOKEN=\(hidden, 12 characters\)/);
    expect(message).toMatch(/DATABASE_URL="mysql:\/\/user:\*\*\*@db\/x"/);
    expect(message).not.toContain('short secret');
    expect(message).not.toContain('hunter2');
  });

  /** A problem line starts with the variables it involves, each shown with its value. */
  function expectProblemNaming(env: Record<string, string>, vars: string[], why: string | RegExp) {
    const line = problem(env)
      .split('\n')
      .find((l) => vars.every((v) => new RegExp(`^  (\\S+=(\\(hidden[^)]*\\)|\\S+) )*${v}=`).test(l)));
    expect(line).toBeDefined();
    expect(line).toMatch(why);
  }

  it('takes one Redis topology, fully described, and names the variables of a bad combination', () => {
    expectProblemNaming(
      { REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' },
      ['REDIS_URL', 'REDIS_CLUSTER_NODES'],
      /different Redis topologies/,
    );
    expectProblemNaming(
      { REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'b:7000' },
      ['REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'],
      /set only one/,
    );
    expectProblemNaming({ REDIS_SENTINELS: 's:26379' }, ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER'], /REDIS_SENTINEL_MASTER=\(unset\)/);
    expectProblemNaming({ REDIS_SENTINEL_MASTER: 'main' }, ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINELS'], /needs the sentinels/);
    expectProblemNaming({ REDIS_PASSWORD: 'secret-password' }, ['REDIS_PASSWORD'], /with REDIS_URL put it in the URL/);
    expect(problem({ REDIS_PASSWORD: 'secret-password' })).not.toContain('secret-password');
    expectProblemNaming({ REDIS_TLS: 'true' }, ['REDIS_TLS'], /with REDIS_URL use rediss:\/\//);
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' }),
    ).toMatchObject({
      REDIS_CLUSTER_NODES: 'a:7000, b:7001',
      REDIS_TLS: true,
    });
    expect(loadConfig({ REDIS_SENTINELS: '[::1]:26379', REDIS_SENTINEL_MASTER: 'main', PURCHASE_DURABILITY: 'none' })).toMatchObject({
      PURCHASE_DURABILITY: 'none',
    });
  });

  it('needs a secret for the waiting room, and checks its settings', () => {
    expect(loadConfig({})).toMatchObject({ WAITING_ROOM: 'off', WAITING_ROOM_OPENS_BEFORE_SECONDS: 900, WAITING_ROOM_POW_BITS: 0 });
    expect(problem({ WAITING_ROOM: 'on' })).toMatch(/WAITING_ROOM="on" WAITING_ROOM_SECRET=\(unset\): .*secret/);
    expect(problem({ WAITING_ROOM: 'on', WAITING_ROOM_SECRET: 'short' })).toMatch(/WAITING_ROOM_SECRET=\(hidden, 5 characters\)/);
    expect(problem({ WAITING_ROOM_ADMIT_PER_SECOND: '0' })).toMatch(/WAITING_ROOM_ADMIT_PER_SECOND="0"/);
    expect(problem({ WAITING_ROOM: 'maybe' })).toMatch(/WAITING_ROOM="maybe"/);
    expect(loadConfig({ WAITING_ROOM: 'on', WAITING_ROOM_SECRET: 'x'.repeat(32) }).WAITING_ROOM).toBe('on');
  });

  it('checks what a pattern cannot: CIDR prefixes, URLs, the key set file (only where it is used)', () => {
    expectProblemNaming({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/33' }, ['TRUST_PROXY'], /not an IP address or CIDR range: 10\.0\.0\.0\/33$/);
    expectProblemNaming({ TRUST_PROXY: '::1/200' }, ['TRUST_PROXY'], /::1\/200/);
    expectProblemNaming({ TRUST_PROXY: 'abc' }, ['TRUST_PROXY'], /: abc$/);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/8, ::1, fd00::/8' }).TRUST_PROXY).toBe('10.0.0.1, 10.0.0.0/8, ::1, fd00::/8');
    expectProblemNaming({ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'http://[x' }, ['JWT_JWKS_URL'], /not a URL that parses/);
    // Keys over plain HTTP could be swapped on the way: only to this machine itself.
    expectProblemNaming({ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'http://idp.example.com/jwks.json' }, ['JWT_JWKS_URL'], /must be https:\/\//);
    for (const url of [
      'https://idp.example.com/jwks.json',
      'http://127.0.0.1:8080/jwks',
      'http://localhost/jwks',
      'http://[::1]:9000/jwks',
    ]) {
      expect(() => loadConfig({ AUTH_MODE: 'jwt', JWT_JWKS_URL: url })).not.toThrow();
    }

    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expectProblemNaming({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: join(dir, 'missing.json') }, ['JWT_JWKS_FILE'], /cannot be read \(ENOENT\)/);
    expectProblemNaming({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: file('bad.json', '{') }, ['JWT_JWKS_FILE'], /is not JSON/);
    expectProblemNaming(
      { AUTH_MODE: 'jwt', JWT_JWKS_FILE: file('empty.json', '{"keys":[]}') },
      ['JWT_JWKS_FILE'],
      /not a JSON Web Key Set/,
    );
    for (const [name, text] of [
      ['numbers.json', '{"keys":[1]}'],
      ['null.json', 'null'],
    ]) {
      expectProblemNaming({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: file(name!, text!) }, ['JWT_JWKS_FILE'], /not a JSON Web Key Set/);
    }
    const good = file('good.json', '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}');
    expect(loadConfig({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: good }).JWT_JWKS_FILE).toBe(good);
    // A key source left set in another mode is not opened, so it cannot stop the start.
    expect(loadConfig({ AUTH_MODE: 'session', JWT_JWKS_FILE: join(dir, 'missing.json') }).AUTH_MODE).toBe('session');
  });

  it('refuses per-user limits on event streams and the admin API when users sign in: nobody would be counted', () => {
    // Read routes that know the buyer (GET /auth/me, a place in line) do count per user.
    expect(loadConfig({ AUTH_MODE: 'session', RATE_LIMIT_READ_USER: '100/10s' }).RATE_LIMIT_READ_USER).toBe('100/10s');
    for (const name of ['RATE_LIMIT_EVENTS_USER', 'RATE_LIMIT_ADMIN_USER']) {
      expectProblemNaming({ AUTH_MODE: 'session', [name]: '5/1m' }, [name, 'AUTH_MODE'], /read no buyer's credentials/);
      expectProblemNaming({ AUTH_MODE: 'jwt', JWT_SECRET: 'x'.repeat(32), [name]: '5/1m' }, [name, 'AUTH_MODE'], /set it to off/);
      // Trusted mode counts the user_id the upstream passes; off is always fine.
      expect(loadConfig({ AUTH_MODE: 'trusted', [name]: '5/1m' })).toBeDefined();
      expect(loadConfig({ AUTH_MODE: 'session', [name]: 'off' })).toBeDefined();
    }
  });

  it('checks rules that involve several variables', () => {
    expectProblemNaming({ AUTH_MODE: 'jwt' }, ['AUTH_MODE', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'], /needs one of the three/);
    expectProblemNaming(
      { AUTH_MODE: 'jwt', JWT_SECRET: 'x'.repeat(32), JWT_JWKS_FILE: '/k.json' },
      ['JWT_SECRET', 'JWT_JWKS_FILE'],
      /only one/,
    );
    expectProblemNaming(
      { WORKER_CONCURRENCY: '20', DATABASE_POOL_SIZE: '10' },
      ['WORKER_CONCURRENCY', 'DATABASE_POOL_SIZE'],
      /WORKER_CONCURRENCY=20 DATABASE_POOL_SIZE=10: concurrency above the pool size/,
    );
  });
});
