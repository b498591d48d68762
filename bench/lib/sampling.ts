import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/*
 * What a process used so far, read before and after a run: CPU from /proc/<pid>/stat (Linux; every thread of
 * the process, in clock ticks of 10 ms), Redis's from its own INFO CPU (it may run elsewhere), RSS from
 * /proc/<pid>/status. NaN where they cannot be read.
 */

/** CPU time (user + system) of a process so far, in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process, in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? NaN : Number(kib) * 1024;
  } catch {
    return NaN;
  }
}

/** CPU time all cores spent busy so far, from /proc/stat: with the others, what the rest of the machine used. */
export function machineBusySeconds(): number {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}

/** Redis's CPU time so far (used_cpu_user + used_cpu_sys of INFO CPU: every thread of the server). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export interface CpuSnapshot {
  readonly at: number;
  readonly app: number;
  readonly redis: number;
  readonly machine: number;
}

export async function cpuSnapshot(appPid: number, redis: Redis): Promise<CpuSnapshot> {
  return { at: Date.now(), app: cpuSeconds(appPid), redis: await redisCpuSeconds(redis), machine: machineBusySeconds() };
}

export const MiB = 2 ** 20;
