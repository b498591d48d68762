import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * prisma/schema.prisma and prisma/migrations/ must describe the same database: a change to one without the
 * other fails here. It runs Prisma's own diff (through the offline engine in prisma/engine/, which a shadow
 * database replays the migrations into).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const prisma = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), ...args], {
    cwd: ROOT,
    env: process.env,
    encoding: 'utf8',
  });

describe('migrations', () => {
  it('produce exactly the schema in prisma/schema.prisma', () => {
    const r = prisma('migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', 'prisma/schema.prisma', '--exit-code');
    expect([r.status, r.stdout.trim()]).toEqual([0, expect.stringContaining('No difference detected')]);
  });

  it('would notice a schema change that has no migration', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schema-'));
    try {
      const changed = path.join(dir, 'schema.prisma');
      writeFileSync(
        changed,
        readFileSync(path.join(ROOT, 'prisma', 'schema.prisma'), 'utf8').replace(
          '  name      String   @db.VarChar(200)',
          '  name      String   @db.VarChar(200)\n  colour    String?',
        ),
      );
      const r = prisma('migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', changed, '--exit-code');
      expect(r.status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
