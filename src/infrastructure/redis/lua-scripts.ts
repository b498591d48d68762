import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';

/** Where the scripts live: the same relative place from src/ (tests) and dist/ (production). */
export const LUA_DIR = path.resolve(__dirname, '..', '..', '..', 'scripts', 'lua');

export type ScriptName =
  'checkout' | 'purchase' | 'sale-load-fields' | 'sale-activate' | 'lease-acquire' | 'lease-release' | 'idempotency-claim' | 'sale-pause';

interface ScriptFile {
  readonly name: string;
  readonly source: string;
  readonly numberOfKeys: number;
}

/**
 * Reads scripts/lua/*.lua. The number of keys each script takes is read from its header comment
 * (the highest KEYS[n] it documents), so the header cannot drift from what callers pass.
 */
export function readScripts(dir = LUA_DIR): ScriptFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
      if (!header) throw new Error(`${file}: missing the header comment (KEYS, ARGV, return value)`);
      const keys = [...header.matchAll(/^KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
      if (!/^ARGV/m.test(header) || !/^Returns/m.test(header)) throw new Error(`${file}: header must document ARGV and Returns`);
      return { name: file.slice(0, -'.lua'.length), source, numberOfKeys: keys.length ? Math.max(...keys) : 0 };
    });
}

/** Registers every script on a connection as a command (EVALSHA, falling back to EVAL after a restart). */
export function defineScripts(redis: Redis, scripts: readonly ScriptFile[] = readScripts()): void {
  for (const s of scripts) {
    if (!(commandName(s.name) in redis)) redis.defineCommand(commandName(s.name), { numberOfKeys: s.numberOfKeys, lua: s.source });
  }
}

/** Runs a script defined by defineScripts on a connection or a pipeline. */
export function runScript<T>(target: Redis, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<T>;
export function runScript(
  target: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): ChainableCommander;
export function runScript(
  target: Redis | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
) {
  const fn = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[commandName(name)];
  if (typeof fn !== 'function') throw new Error(`script ${name} is not defined on this connection`);
  return fn.call(target, ...keys, ...args);
}

function commandName(file: string): string {
  return `fs_${file.replace(/-/g, '_')}`;
}
