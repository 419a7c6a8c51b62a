import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

type Meter = 'cgroup' | 'time';
interface JobCpu {
  cpuMeter(): Meter | null;
  measuredCommand(
    meter: Meter,
    name: string,
    scratch: string,
    cmd: string,
    args: string[],
  ): { cmd: string; args: string[]; read: () => number | undefined };
}

/** scripts/lib/job-cpu.mjs, the runner's own module (an ES module: imported at run time). */
async function jobCpu(): Promise<JobCpu> {
  return (await import(join(REPO_ROOT, 'scripts', 'lib', 'job-cpu.mjs'))) as JobCpu;
}

/** A fixed amount of CPU work (about 0.7 CPU-s here), however busy the machine is. */
const WORK = 'i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done';
/** The work in the job's own process. */
const OWN_WORK = WORK;
/**
 * The work in a process the job never waits for (orphaned at once, as Chromium's processes escape
 * the runner's accounting); the job ends once that process wrote "$1/done".
 */
const ESCAPED_WORK = `( (${WORK}; touch "$1/done") & ); while [ ! -f "$1/done" ]; do sleep 0.05; done`;

function runMeasured(tools: JobCpu, meter: Meter, name: string, script: string): number | undefined {
  const scratch = tempDir('job-cpu');
  try {
    const job = tools.measuredCommand(meter, name, scratch.path, '/bin/sh', [
      '-c',
      script,
      'sh',
      scratch.path,
    ]);
    assert.equal(spawnSync(job.cmd, job.args).status, 0);
    return job.read();
  } finally {
    scratch.remove();
  }
}

/** KILN_TEST_CPU=1: each job's CPU time, what it started included where a cgroup can be made. */
void describe('npm test: the CPU time of a job', () => {
  void it('/usr/bin/time counts what the job waited for (and misses a process that escaped it)', async (t) => {
    if (!existsSync('/usr/bin/time')) return t.skip('no /usr/bin/time here');
    const tools = await jobCpu();
    const own = runMeasured(tools, 'time', `time_own_${process.pid}`, OWN_WORK);
    assert.ok(own !== undefined && own > 0.3, `own work: ${own}`);
    const escaped = runMeasured(tools, 'time', `time_escaped_${process.pid}`, ESCAPED_WORK);
    assert.ok(escaped !== undefined && escaped < own / 2, `escaped work: ${escaped}, own work: ${own}`);
  });

  void it('a cgroup counts the processes that escaped the job too, and is removed after', async (t) => {
    const tools = await jobCpu();
    if (tools.cpuMeter() !== 'cgroup') return t.skip('no cgroup can be made here (v1 cpuacct, as root)');
    const name = `cgroup_escaped_${process.pid}`;
    const escaped = runMeasured(tools, 'cgroup', name, ESCAPED_WORK);
    assert.ok(escaped !== undefined && escaped > 0.3, `escaped work: ${escaped}`);
    assert.ok(!existsSync(`/sys/fs/cgroup/cpuacct/kiln3d-test-${process.pid}-${name}`), 'cgroup removed');
  });
});
