'use strict';
// PostgreSQL side of the shim: the driver-adapter factory handed to the WASM schema engine, and the plain-pg
// helpers behind the one-shot `cli` subcommands. Each patch below fixes a measured difference between
// @prisma/adapter-pg 7.10.0 and the native engine (see ../README.md, "Pitfalls").
const crypto = require('node:crypto');
const pg = require('pg');
const { PrismaPg } = require('@prisma/adapter-pg');
// Not direct dependencies of the project: resolve each next to the package that ships it.
const requireFrom = (from, id) => require(require.resolve(id, { paths: [require.resolve(from)] }));
const { parse } = requireFrom('pg', 'pg-connection-string');
const { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } = requireFrom('@prisma/adapter-pg', '@prisma/driver-adapter-utils');

const CHAR_OID = 18; // PostgreSQL's internal one-byte "char" (pg_class.relkind, pg_constraint.contype, ...)
const TEXT_OID = 25;

// Explicit connection fields, never `connectionString`: pg lets a connection string win over `database`, so
// `{ ...config, database }` would otherwise still point at the main database (pitfall 3).
function pgConfig(url, database) {
  const c = parse(url);
  const config = {
    host: c.host || 'localhost',
    port: Number(c.port || 5432),
    user: c.user,
    password: c.password,
    database: database ?? c.database,
    ssl: c.ssl,
    application_name: c.application_name,
    // Keep idle sessions: the engine's advisory lock (migrations) lives as long as the session that took it.
    idleTimeoutMillis: 0,
  };
  // Prisma's `?schema=` names the schema to migrate: the engine learns it from the adapter, SQL from search_path.
  if (c.schema) config.options = `-c search_path="${c.schema}"`;
  return { config, schema: c.schema };
}

let patchedQueryable = false;
// The adapter maps every column type by OID and rejects "char", which the engine's catalog queries select
// (introspection, diff from the database, CHECK constraints). pg already parses it as a string: let the
// adapter map it as text, then report the column as the Character type the engine reads it as (pitfall 1).
function patchCharColumns(adapter) {
  if (patchedQueryable) return;
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(adapter)); // PgQueryable: adapter and transactions
  const { performIO, queryRaw } = proto;
  if (typeof performIO !== 'function' || typeof queryRaw !== 'function') {
    throw new Error('@prisma/adapter-pg changed: PgQueryable.performIO/queryRaw are gone');
  }
  proto.performIO = async function (query) {
    const result = await performIO.call(this, query);
    // A multi-statement string (e.g. `db execute`, sent through executeRaw) yields one result per statement.
    for (const { fields } of [].concat(result)) {
      for (const f of fields) {
        if (f.dataTypeID === CHAR_OID) {
          f.dataTypeID = TEXT_OID;
          f.wasChar = true;
        }
      }
    }
    this.lastFields = [].concat(result)[0]?.fields ?? [];
    return result;
  };
  proto.queryRaw = async function (query) {
    const result = await queryRaw.call(this, query);
    (this.lastFields ?? []).forEach((f, i) => {
      if (f.wasChar) result.columnTypes[i] = ColumnTypeEnum.Character;
    });
    return result;
  };
  patchedQueryable = true;
}

async function connect(url, database) {
  const { config, schema } = pgConfig(url, database);
  const adapter = await new PrismaPg(config, schema ? { schema } : undefined).connect();
  patchCharColumns(adapter);
  // The adapter splits scripts on ';', which breaks `$$` bodies and runs each piece in its own implicit
  // transaction. Send the script whole: the simple-query protocol runs a multi-statement string in one
  // implicit transaction, as the native engine does, so a failing migration leaves nothing behind (pitfall 2).
  adapter.executeScript = async (script) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      adapter.onError(error); // rethrows as the DriverAdapterError the engine understands
    }
  };
  return adapter;
}

class ShimAdapterFactory {
  provider = 'postgres';
  adapterName = '@prisma/adapter-pg';

  constructor(url, shadowDatabaseUrl) {
    this.url = url;
    this.shadowDatabaseUrl = shadowDatabaseUrl;
  }

  connect() {
    return connect(this.url);
  }

  async connectToShadowDb() {
    if (this.shadowDatabaseUrl) return connectToConfiguredShadowDb(this.shadowDatabaseUrl);
    const main = await this.connect();
    const name = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${name}"`).catch(async (error) => {
      await main.dispose();
      throw error;
    });
    const shadow = await connect(this.url, name);
    const endPool = shadow.dispose.bind(shadow);
    // Close the shadow pool first: PostgreSQL refuses to drop a database that still has sessions (pitfall 3).
    shadow.dispose = async () => {
      await endPool();
      try {
        await main.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      } finally {
        await main.dispose();
      }
    };
    return shadow;
  }
}

// A user-configured shadow database is reused, so empty it first, as the native engine resets it.
async function connectToConfiguredShadowDb(url) {
  const shadow = await connect(url);
  const schema = pgConfig(url).schema || 'public';
  await shadow.executeScript(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}";`);
  return shadow;
}

function adapterFactory(url, shadowDatabaseUrl) {
  return bindMigrationAwareSqlAdapterFactory(new ShimAdapterFactory(url, shadowDatabaseUrl));
}

// --- one-shot `cli` subcommands (the WASM engine has no create/drop database) ---

// The CLI acts on these codes (P1003 makes `migrate dev`/`deploy`/`db push` create the database), so use the
// native engine's user-facing codes and messages.
function userFacingError(error, config) {
  const at = `${config.host}:${config.port}`;
  if (error.code === '3D000') {
    return { error_code: 'P1003', message: `Database \`${config.database}\` does not exist on the database server at \`${at}\`.` };
  }
  if (error.code === '28P01' || error.code === '28000') {
    return {
      error_code: 'P1000',
      message: `Authentication failed against database server, the provided database credentials for \`${config.user}\` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at the configured address.`,
    };
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(error.code)) {
    return { error_code: 'P1001', message: `Can't reach database server at \`${at}\`\n\nPlease make sure your database server is running at \`${at}\`.` };
  }
  if (error.code === '42P04') {
    return { error_code: 'P1009', message: `Database \`${config.database}\` already exists on the database server at \`${at}\`` };
  }
  return { message: error.message };
}

// `target` names the database the user asked about, for messages, when we connect to another one.
async function withClient(config, fn, target = config) {
  const client = new pg.Client(config);
  try {
    await client.connect();
    return await fn(client);
  } catch (error) {
    throw Object.assign(new Error(error.message), { userFacing: userFacingError(error, target) });
  } finally {
    await client.end().catch(() => {});
  }
}

const canConnect = (url) => withClient(pgConfig(url).config, () => undefined);

// CREATE/DROP DATABASE run from the server's `postgres` database, as the native engine does.
async function onMaintenanceDb(url, verb) {
  const target = pgConfig(url).config;
  const ident = `"${target.database.replace(/"/g, '""')}"`;
  await withClient(pgConfig(url, 'postgres').config, (client) => client.query(`${verb} DATABASE ${ident}`), target);
  return target.database;
}
const createDatabase = (url) => onMaintenanceDb(url, 'CREATE');
const dropDatabase = (url) => onMaintenanceDb(url, 'DROP');

module.exports = { adapterFactory, canConnect, createDatabase, dropDatabase };
