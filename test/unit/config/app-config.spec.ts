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
    ['REDIS_TLS', 'perhaps'],
  ])('names %s when it is %j', (name, value) => {
    expect(problem({ [name]: value })).toMatch(new RegExp(`^  ${name}=`, 'm'));
  });

  it('never repeats a secret in the message', () => {
    const message = problem({ ADMIN_TOKEN: 'short secret', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(message).toMatch(/ADMIN_TOKEN=\(hidden, 12 characters\)/);
    expect(message).toMatch(/DATABASE_URL="mysql:\/\/user:\*\*\*@db\/x"/);
    expect(message).not.toContain('short secret');
    expect(message).not.toContain('hunter2');
  });

  it('takes one Redis topology, fully described, and names the variables of a bad combination', () => {
    expect(problem({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' })).toContain(
      'REDIS_URL and REDIS_CLUSTER_NODES name different Redis topologies',
    );
    expect(problem({ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'b:7000' })).toContain('REDIS_SENTINELS and REDIS_CLUSTER_NODES');
    expect(problem({ REDIS_SENTINELS: 's:26379' })).toContain('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER');
    expect(problem({ REDIS_SENTINEL_MASTER: 'main' })).toContain('REDIS_SENTINEL_MASTER needs REDIS_SENTINELS');
    expect(problem({ REDIS_PASSWORD: 'secret-password' })).toContain('REDIS_PASSWORD is for REDIS_SENTINELS / REDIS_CLUSTER_NODES');
    expect(problem({ REDIS_TLS: 'true' })).toContain('with REDIS_URL use rediss://');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' })).toMatchObject({
      REDIS_CLUSTER_NODES: 'a:7000, b:7001',
      REDIS_TLS: true,
    });
    expect(loadConfig({ REDIS_SENTINELS: '[::1]:26379', REDIS_SENTINEL_MASTER: 'main', PURCHASE_DURABILITY: 'none' })).toMatchObject({
      PURCHASE_DURABILITY: 'none',
    });
  });

  it('checks rules that involve several variables', () => {
    expect(problem({ AUTH_MODE: 'jwt' })).toContain('AUTH_MODE=jwt needs JWT_SECRET, JWT_JWKS_URL or JWT_JWKS_FILE');
    expect(problem({ WORKER_CONCURRENCY: '20', DATABASE_POOL_SIZE: '10' })).toContain(
      'WORKER_CONCURRENCY=20 is above DATABASE_POOL_SIZE=10',
    );
  });
});
