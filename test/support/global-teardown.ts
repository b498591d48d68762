/**
 * After the last test: names what is still open in this process (the files run in band, in this process), so
 * a file that leaks a socket, a timer or a child shows in the log instead of as a run that never ends (jest's
 * forceExit ends it either way). Much cheaper than --detectOpenHandles, which slows the whole suite several
 * times over.
 */
export default function globalTeardown(): void {
  const proc = process as unknown as { _getActiveHandles(): unknown[] };
  const left = proc
    ._getActiveHandles()
    .map(describeHandle)
    .filter((d): d is string => d !== null);
  // Timers are not handles: count them from the resource list (a ref'd one keeps the process alive).
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  if (timers > 0) left.push(`${timers} timer(s)`);
  if (left.length > 0) process.stderr.write(`\n[teardown] still open after the run (${left.length}):\n  ${left.join('\n  ')}\n`);
}

function describeHandle(h: unknown): string | null {
  const name = (h as object)?.constructor?.name ?? typeof h;
  const s = h as { fd?: number; remoteAddress?: string; remotePort?: number; localPort?: number; pid?: number; spawnfile?: string };
  // The process's own stdio is always open.
  if ((name === 'WriteStream' || name === 'ReadStream' || name === 'Socket') && typeof s.fd === 'number' && s.fd <= 2) return null;
  if (name === 'Socket' || name === 'TLSSocket')
    return `${name} ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} (local port ${s.localPort ?? '?'})`;
  if (name === 'ChildProcess') return `ChildProcess pid ${s.pid} ${s.spawnfile ?? ''}`;
  if (name === 'Server') return `Server ${JSON.stringify((h as { address(): unknown }).address?.() ?? null)}`;
  return name;
}
