import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ChainableCommander } from 'ioredis';
import { TRANSIENT_REJECTIONS } from '../../domain/shared/rejection';
import type { RedisClient } from './redis-topology';

/** Where the scripts live: the same relative place from src/ (tests) and dist/ (production). */
export const LUA_DIR = path.resolve(__dirname, '..', '..', '..', 'scripts', 'lua');

export type ScriptName =
  | 'attempts-append'
  | 'checkout'
  | 'checkout-batch'
  | 'checkout-sold-out'
  | 'purchase'
  | 'purchase-batch'
  | 'purchase-ended'
  | 'sale-load-fields'
  | 'sale-activate'
  | 'sale-forget'
  | 'lease-acquire'
  | 'lease-release'
  | 'idempotency-claim'
  | 'sale-pause'
  | 'rate-limit'
  | 'rate-limit-undo'
  | 'session-verify-code'
  | 'line-place'
  | 'line-admit'
  | 'line-close'
  | 'line-watch'
  | 'line-status';

interface ScriptFile {
  readonly name: string;
  readonly source: string;
  /** How many keys it takes, or null when the header documents KEYS[i] (any number). */
  readonly numberOfKeys: number | null;
}

/**
 * Values the scripts take from the TypeScript side, so that a list lives in one place: a line
 * "--@const NAME" in a script becomes "local NAME = ..." (a Lua set of strings).
 */
const CONSTANTS: Record<string, readonly string[]> = {
  /** Refusals that release an Idempotency-Key instead of being stored with it (lib/idempotency.lua). */
  TRANSIENT: TRANSIENT_REJECTIONS,
};

/**
 * A script's source as sent to Redis: each "--@include lib/<name>.lua" line replaced by that file (shared
 * steps, scripts/lua/lib/), each "--@const NAME" line by the constant's definition. Redis has no includes,
 * and the script stays one atomic unit.
 */
export function expandScript(source: string, dir = LUA_DIR): string {
  return source
    .replace(/^--@include (lib\/[a-z-]+\.lua)\s*$/gm, (_m, lib: string) => expandScript(readFileSync(path.join(dir, lib), 'utf8'), dir))
    .replace(/^--@const ([A-Z_]+)\s*$/gm, (_m, name: string) => {
      const values = CONSTANTS[name];
      if (!values) throw new Error(`scripts/lua: no constant ${name}`);
      return `local ${name} = { ${values.map((v) => `[${JSON.stringify(v)}] = true`).join(', ')} }`;
    });
}

/**
 * Reads scripts/lua/*.lua. The number of keys each script takes is read from its header comment (the highest
 * KEYS[n] it documents) and checked on every call, so the header cannot drift from what callers pass.
 */
export function readScripts(dir = LUA_DIR): ScriptFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const raw = readFileSync(path.join(dir, file), 'utf8');
      const source = expandScript(raw, dir);
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(raw)?.[1];
      if (!header) throw new Error(`${file}: missing the header comment (KEYS, ARGV, return value)`);
      if (!/^ARGV/m.test(header) || !/^Returns/m.test(header)) throw new Error(`${file}: header must document ARGV and Returns`);
      const keys = [...header.matchAll(/^KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
      const variadic = /^KEYS\[[a-z]\]/m.test(header);
      return { name: file.slice(0, -'.lua'.length), source, numberOfKeys: variadic ? null : keys.length ? Math.max(...keys) : 0 };
    });
}

let known: ReadonlyMap<string, ScriptFile> | undefined;
const scriptFiles = () => (known ??= new Map(readScripts().map((f) => [f.name, f])));

/**
 * Registers every script on a connection as a command (EVALSHA, falling back to EVAL after a restart). The
 * key count is passed on each call (see runScript), so one definition serves fixed and variadic scripts.
 */
export function defineScripts(redis: RedisClient): void {
  for (const s of scriptFiles().values()) {
    if (!(commandName(s.name) in redis)) redis.defineCommand(commandName(s.name), { lua: s.source });
  }
}

/** Runs a script defined by defineScripts on a connection or a pipeline. */
export function runScript<T>(
  target: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T>;
export function runScript(
  target: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): ChainableCommander;
export function runScript(
  target: RedisClient | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
) {
  const expected = scriptFiles().get(name)?.numberOfKeys;
  if (expected === undefined) throw new Error(`there is no scripts/lua/${name}.lua`);
  if (expected !== null && expected !== keys.length) throw new Error(`${name}.lua takes ${expected} keys, got ${keys.length}`);
  const fn = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[commandName(name)];
  if (typeof fn !== 'function') throw new Error(`script ${name} is not defined on this connection`);
  return fn.call(target, keys.length, ...keys, ...args);
}

function commandName(file: string): string {
  return `fs_${file.replace(/-/g, '_')}`;
}
