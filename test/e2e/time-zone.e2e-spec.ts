import request from 'supertest';
import { TestApp, startTestApp } from '../support/test-app';
import { wipeState, withPg } from '../support/test-env';

/*
 * Sale times are stored and read in UTC whatever the PostgreSQL server's own time zone. Prisma's pg adapter
 * sends times without an offset, which the server reads in the session's zone: in a local zone's
 * daylight-saving gap, a sale's start and end would be stored an hour off, or refused as ending before it starts.
 */

const TOKEN = 'time-zone-admin-token-0123456789';
let t: TestApp;
let database: string;

beforeAll(async () => {
  await wipeState();
  database = await withPg(async (pg) => (await pg.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db);
  // New sessions of the test database start in Berlin's zone, as on a server set up with the host's zone.
  await withPg((pg) => pg.query(`ALTER DATABASE "${database}" SET TimeZone TO 'Europe/Berlin'`));
  t = await startTestApp({ ADMIN_TOKEN: TOKEN });
});

afterAll(async () => {
  await t?.close();
  await withPg((pg) => pg.query(`ALTER DATABASE "${database}" RESET TimeZone`));
});

it('keeps a sale inside the daylight-saving gap of the server zone as given', async () => {
  // 02:00 to 03:00 on 2027-03-28 does not exist in Berlin: clocks go from 02:00 CET to 03:00 CEST.
  const startsAt = '2027-03-28T02:00:00.000Z';
  const endsAt = '2027-03-28T03:00:00.000Z';
  const created = await request(t.url)
    .post('/admin/sales')
    .set({ authorization: `Bearer ${TOKEN}` })
    .send({ startsAt, endsAt, items: 2, perUserLimit: 1 });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ startsAt, endsAt });

  const stored = await withPg(
    async (pg) =>
      (
        await pg.query<{ starts: string; ends: string }>(
          `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS starts,
                  to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS ends FROM sales WHERE id = $1`,
          [created.body.id],
        )
      ).rows[0],
  );
  expect(stored).toEqual({ starts: '2027-03-28T02:00:00', ends: '2027-03-28T03:00:00' });
  expect((await request(t.url).get(`/sales/${created.body.id}`)).body).toMatchObject({ startsAt, endsAt });
});
