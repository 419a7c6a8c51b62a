import { readFileSync } from 'node:fs';

/**
 * What Linux says of a running process (/proc/{pid}), for rows that measure the api beside a
 * baseline: figures a busy machine inflates far less than it inflates latency.
 */

/** Clock ticks per second of /proc/{pid}/stat's CPU times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * The fields of /proc/{pid}/stat after the command name (which may hold spaces and parentheses):
 * [0] is field 3 (the state), [1] field 4 (the parent pid), [11] and [12] fields 14 and 15
 * (utime, stime). Throws once the process is gone.
 */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time (user + system) the process has used so far, in ms (10 ms steps). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** The parent pid of a process; throws once it is gone. */
export function parentPid(pid: number): number {
  return Number(statFields(pid)[1]);
}

/** Resident memory of the process in MB (VmRSS). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}
