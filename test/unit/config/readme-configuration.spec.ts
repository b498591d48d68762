import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig, loadConfig } from '../../../src/infrastructure/config/app-config';

/*
 * README.md's "Configuration" and "Rate limits" tables are what an operator reads instead of the code: each
 * variable they name is one the process reads, each variable it reads is in them, and each default they state
 * is the one a process started without the variable runs with.
 */

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

/** The rows of the first table after `heading`, as cells (backticks kept, `\|` read as `|`). */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  if (first < 0) throw new Error(`README.md has no table after "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .replace(/\\\|/g, '\u0000')
        .split('|')
        .slice(1, -1)
        .map((c) => c.replace(/\u0000/g, '|').trim()),
    );
  }
  return rows;
}

const defaults = loadConfig({}) as unknown as Record<string, unknown>;
const variables = Object.keys(new AppConfig());
const configuration = tableAfter('### Configuration');

/** "`A` / `B`" -> ["A", "B"]. */
const codes = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe("README's configuration table", () => {
  const documented = configuration.flatMap(([names]) => codes(names!));

  it('names only variables the process reads', () => {
    expect(documented.length).toBeGreaterThan(0);
    const unknown = documented.filter((name) => name !== 'RATE_LIMIT_<GROUP>_<IP|USER>' && !variables.includes(name));
    expect(unknown).toEqual([]);
  });

  it('names every variable the process reads (the rate limits by their pattern)', () => {
    const missing = variables.filter((name) => !documented.includes(name) && !/^RATE_LIMIT_[A-Z]+_(IP|USER)$/.test(name));
    expect(missing).toEqual([]);
  });

  it('states the defaults the process runs with', () => {
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const [names, stated] of configuration) {
      const vars = codes(names!);
      // "`3000` / `127.0.0.1`", "unset / `Flashsale <...>`", "unset (...)": one value per variable, in order.
      const values = stated!.split(' / ').map((v) => v.trim());
      if (values.length === 1 && vars.length > 1 && /^unset\b/.test(values[0]!)) values.length = 0;
      const parsed = (values.length ? values : vars.map(() => 'unset')).map((v) =>
        /^unset\b/.test(v) ? undefined : /^`[^`]*`$/.test(v) ? v.slice(1, -1) : null,
      );
      if (parsed.length !== vars.length || parsed.includes(null)) continue; // a default in words (PURCHASE_DURABILITY)
      vars.forEach((name, i) => {
        if (!variables.includes(name)) return;
        checked.push(name);
        const actual = defaults[name];
        const expected = parsed[i];
        if ((actual === undefined ? undefined : String(actual)) !== expected)
          wrong.push(`${name}: README ${expected}, process ${String(actual)}`);
      });
    }
    expect(wrong).toEqual([]);
    // Every stated default was read as one: a row whose cell this parser skips must be prose on purpose.
    expect(variables.filter((v) => !checked.includes(v) && !v.startsWith('RATE_LIMIT_'))).toEqual(['PURCHASE_DURABILITY']);
  });
});

describe("README's rate-limit table", () => {
  it('states the limits the process runs with, per group, per IP and per user', () => {
    const rows = tableAfter('### Rate limits').filter(([group]) => /^`[a-z]+`$/.test(group!));
    expect(rows.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const [group, , ip, user] of rows) {
      const g = group!.slice(1, -1).toUpperCase();
      for (const [which, stated] of [
        ['IP', ip!],
        ['USER', user!],
      ] as const) {
        const name = `RATE_LIMIT_${g}_${which}`;
        const expected = stated === 'off' ? 'off' : codes(stated)[0];
        if (defaults[name] !== expected) wrong.push(`${name}: README ${stated}, process ${String(defaults[name])}`);
      }
    }
    expect(wrong).toEqual([]);
    // Every group the process limits is in the table.
    const groups = rows.map(([group]) => group!.slice(1, -1).toUpperCase());
    const configured = [...new Set(variables.filter((v) => /^RATE_LIMIT_[A-Z]+_IP$/.test(v)).map((v) => v.split('_')[2]!))];
    expect(groups.sort()).toEqual(configured.sort());
  });
});
