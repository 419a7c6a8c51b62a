import { readFileSync } from 'node:fs';

/**
 * What Linux says of a running process (/proc/{pid}), for rows that measure the api beside a
 * baseline: figures a busy machine inflates far less than it inflates latency.
 */

/** Clock ticks per second of /proc/{pid}/stat's CPU times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** CPU time (user + system) the process has used so far, in ms (10 ms steps). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces and parentheses): the state is
  // field 3, utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** Resident memory of the process in MB (VmRSS). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}
