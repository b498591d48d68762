/*
 * Where a profiled instance's CPU went: `npx ts-node bench/profile-summary.ts <file.cpuprofile> [top]` prints
 * the share of samples by where the code lives (our src/ and dist/ by folder, each package in node_modules,
 * Node's internals, GC, idle) and the `top` functions by self time. The profiles come from
 * `BENCH_PROFILE=1 npm run bench` (bench/results/profiles/).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Where a frame's code lives: "src/<folder>", a package, "node internals", or the frame's own name. */
function placeOf(url: string, name: string): string {
  if (!url) return `(${name || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(?:src|dist)\/([^/]+)\/([^/]+)/.exec(url);
  if (own) return `app: ${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: ts-node bench/profile-summary.ts <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const place = placeOf(url, functionName);
    places.set(place, (places.get(place) ?? 0) + count);
    const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src|dist)\//, '$1/')}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + count);
  }
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  console.log(`${total} samples\n\nBy place:`);
  for (const [place, n] of sorted(places).slice(0, 30)) console.log(`${pct(n)}  ${place}`);
  console.log(`\nTop functions by self time:`);
  for (const [fn, n] of sorted(functions).slice(0, Number(topArg ?? 40))) console.log(`${pct(n)}  ${fn}`);
}

main();
