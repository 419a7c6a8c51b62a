// Runs the jobs of `npm test` side by side: a job starts once the jobs it needs have passed, at
// most `lanes` at a time, the longest expected first (so the long ones do not end the run alone),
// each on a Redis database of its own when it asks for one. A job's output is kept and printed
// in one piece when it ends, so the log reads one job after another.
import { spawn } from 'node:child_process';

/** Runs a command with piped output; resolves { code, output, seconds, timedOut } (never rejects). */
export function runJobProcess(cmd, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Its own process group, so a job that overruns is ended with everything it started.
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (c) => (output += c.toString()));
    child.stderr.on('data', (c) => (output += c.toString()));
    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup('SIGTERM');
            setTimeout(() => killGroup('SIGKILL'), 10_000).unref();
          }, timeoutMs)
        : null;
    running.add(killGroup);
    const done = (code) => {
      if (timer) clearTimeout(timer);
      running.delete(killGroup);
      resolve({ code, output, seconds: (Date.now() - t0) / 1000, timedOut });
    };
    child.on('error', (err) => {
      output += `\ncould not run ${cmd}: ${err.message}\n`;
      done(127);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Process groups of the jobs now running (ended on Ctrl-C). */
const running = new Set();
export function killRunningJobs() {
  for (const kill of running) kill('SIGTERM');
}

/**
 * jobs: [{ id, needs: [id], estimate (s), redis (bool), kind?, run(db) -> Promise<result> }];
 * `limits` caps how many jobs of one kind run at once ({ browser: 1 }: one headless Chromium).
 * A job whose needs failed is not run (result { skipped: true }). `onStart(job)` and
 * `onEnd(job, result)` report. Resolves with a Map id -> result.
 */
export async function runJobs(jobs, { lanes, redis, limits = {}, onStart, onEnd }) {
  const results = new Map();
  const pending = [...jobs].sort((a, b) => b.estimate - a.estimate);
  const active = new Set();
  const kinds = new Map();
  const kindFree = (job) => !job.kind || (kinds.get(job.kind) ?? 0) < (limits[job.kind] ?? Infinity);
  let wake;
  const ready = (job) => job.needs.every((id) => results.has(id));
  const neededFailed = (job) => job.needs.some((id) => !results.get(id)?.ok);
  for (;;) {
    // Jobs whose needs failed end at once, unrun.
    for (const job of pending.filter((j) => ready(j) && neededFailed(j))) {
      pending.splice(pending.indexOf(job), 1);
      const result = { ok: false, skipped: true, seconds: 0, output: '' };
      results.set(job.id, result);
      onEnd(job, result);
    }
    if (pending.length === 0 && active.size === 0) break;
    let started = false;
    while (active.size < lanes) {
      // The longest first; a job of a capped kind counts as its kind's whole remaining queue
      // (they run that many at a time: that queue is one long job).
      const queued = (kind) => pending.filter((j) => j.kind === kind).reduce((sum, j) => sum + j.estimate, 0);
      const weight = (j) => (j.kind && limits[j.kind] ? queued(j.kind) / limits[j.kind] : j.estimate);
      const job = pending
        .filter((j) => ready(j) && kindFree(j) && (!j.redis || redis.available()))
        .reduce((best, j) => (!best || weight(j) > weight(best) ? j : best), undefined);
      if (!job) break;
      pending.splice(pending.indexOf(job), 1);
      const db = job.redis ? redis.acquire() : null;
      if (job.kind) kinds.set(job.kind, (kinds.get(job.kind) ?? 0) + 1);
      started = true;
      onStart(job, db);
      const promise = (async () => {
        try {
          if (db !== null) await redis.clear(db);
          return await job.run(db);
        } catch (error) {
          return {
            ok: false,
            seconds: 0,
            output: `${error instanceof Error ? error.stack : String(error)}\n`,
          };
        } finally {
          if (db !== null) redis.release(db);
        }
      })().then((result) => {
        active.delete(promise);
        if (job.kind) kinds.set(job.kind, kinds.get(job.kind) - 1);
        results.set(job.id, result);
        onEnd(job, result);
        wake?.();
      });
      active.add(promise);
    }
    if (!started && active.size === 0) {
      // Nothing runs and nothing can start: needs that will never be met.
      for (const job of pending.splice(0)) {
        const result = { ok: false, skipped: true, seconds: 0, output: 'its needs never ran\n' };
        results.set(job.id, result);
        onEnd(job, result);
      }
      break;
    }
    await new Promise((resolve) => (wake = resolve));
  }
  return results;
}
