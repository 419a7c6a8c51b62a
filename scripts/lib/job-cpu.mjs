/**
 * The CPU time of one test job and of everything it starts (KILN_TEST_CPU=1).
 *
 * `/usr/bin/time` counts only the processes its command waited for, down the tree: Chromium's
 * processes escape it (web/e2e/generate.test.mjs alone: 23 CPU-s counted, 85 CPU-s spent by the
 * machine). Where this process may make a cgroup (v1 `cpuacct`, as root), each job runs in one of
 * its own and its `cpuacct.usage` counts every process the job started, reaped or not; elsewhere
 * `/usr/bin/time` is the fallback.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/**
 * Removes a job's cgroup once its last process has gone: a process that outlived the job may take
 * a moment to exit. After 2 s the group is left; its name says which run left it.
 */
function removeGroup(group) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; tries < 40; tries++) {
    try {
      rmdirSync(group);
      return;
    } catch {
      Atomics.wait(pause, 0, 0, 50);
    }
  }
}

/** How jobs are measured here: 'cgroup', 'time' (/usr/bin/time) or null (neither works). */
export function cpuMeter() {
  try {
    const probe = join(CPUACCT, `kiln3d-test-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return 'cgroup';
  } catch {
    return existsSync('/usr/bin/time') ? 'time' : null;
  }
}

/**
 * Wraps `cmd args` so that its CPU time can be read once it ended.
 *
 * @param {'cgroup' | 'time'} meter what cpuMeter() chose
 * @param {string} name a unique name for the job (letters, digits, _)
 * @param {string} scratch a folder for /usr/bin/time's output file
 * @param {string} cmd the program
 * @param {string[]} args its arguments
 * @returns {{ cmd: string, args: string[], read: () => number | undefined }} the command to run
 *   instead, and read(): the CPU seconds (user + system) once it ended; undefined if unknown.
 *   read() also removes the job's cgroup (waiting up to 2 s for a process that outlived the job).
 */
export function measuredCommand(meter, name, scratch, cmd, args) {
  if (meter === 'cgroup') {
    const group = join(CPUACCT, `kiln3d-test-${process.pid}-${name}`);
    mkdirSync(group);
    return {
      // The shell joins the cgroup, then becomes the job: every process it starts is counted.
      cmd: '/bin/sh',
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', group, cmd, ...args],
      read: () => {
        try {
          const nanoseconds = Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8'));
          return nanoseconds / 1e9;
        } catch {
          return undefined;
        } finally {
          removeGroup(group);
        }
      },
    };
  }
  const file = join(scratch, `${name}.cpu`);
  writeFileSync(file, '');
  return {
    cmd: '/usr/bin/time',
    args: ['-f', '%U %S', '-o', file, cmd, ...args],
    read: () => {
      const [user, system] = readFileSync(file, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      return Number.isFinite(user) && Number.isFinite(system) ? user + system : undefined;
    },
  };
}
