import path from 'node:path';
import { defineConfig } from 'prisma/config';

// Prisma's CLI downloads a native schema engine before most commands; machines that reach only the npm
// registry cannot. Unless the user chose an engine (set the variable, even empty, to opt out), point the
// CLI at our WebAssembly-backed engine, which speaks the same protocol: see prisma/engine/README.md.
if (process.env.PRISMA_SCHEMA_ENGINE_BINARY === undefined) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(__dirname, 'prisma', 'engine', 'schema-engine');
}

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale',
  },
});
