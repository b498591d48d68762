import request from 'supertest';
import { TestApp, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

describe('health', () => {
  beforeAll(wipeState);

  it('is live and ready when Redis, PostgreSQL and the queue answer', async () => {
    const t = await startTestApp();
    try {
      expect((await request(t.url).get('/health/live')).status).toBe(200);
      const ready = await request(t.url).get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toMatchObject({ redis: { status: 'up' }, postgres: { status: 'up' }, queue: { status: 'up' } });
      expect(await request(t.url).get('/health/serving')).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      await t.close();
    }
  });

  describe('with PostgreSQL unreachable', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Nothing listens on port 1: every PostgreSQL connection is refused.
      t = await startTestApp({ DATABASE_URL: 'postgresql://flashsale:flashsale@127.0.0.1:1/flashsale_test' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('is not ready, but serving: buyers never wait on PostgreSQL, so a balancer keeps sending them', async () => {
      const ready = await request(t.url).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'service_unavailable', checks: { postgres: { status: 'down' }, redis: { status: 'up' } } });
      const serving = await request(t.url).get('/health/serving');
      expect(serving.status).toBe(200);
      expect(serving.body).toMatchObject({ status: 'degraded', checks: { postgres: { status: 'down' }, redis: { status: 'up' } } });
    });
  });

  describe('with Redis unreachable', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Nothing listens on port 1: every Redis connection is refused.
      t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('is live but not ready: 503 problem+json naming redis', async () => {
      expect((await request(t.url).get('/health/live')).status).toBe(200);
      const ready = await request(t.url).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ready.body).toMatchObject({ code: 'service_unavailable', checks: { redis: { status: 'down' }, postgres: { status: 'up' } } });
      expect(ready.body.detail).toContain('redis');
      const serving = await request(t.url).get('/health/serving');
      expect(serving.status).toBe(503);
      expect(serving.body.detail).toContain('redis');
    });

    it('answers purchases with 503 and Retry-After instead of hanging or failing with 500', async () => {
      const res = await request(t.url).post('/purchase').query({ code: '1-AAAAAAAAAAAAAAAAAAAAAA' });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.code).toBe('service_unavailable');
      // Whether a purchase ran is unknown once its call failed: the buyer is told to retry the same code.
      expect(res.body.detail).toMatch(/Retry with the same code/);
    });
  });
});
