import { join } from 'node:path';
import { type ApiProcess, startApi } from '../../test/support/api-process';
import { clearKilnKeys, sleep } from '../../test/support/env';
import { sample, upload } from '../../test/support/http-client';
import { readTimedSse, timedEvents } from '../../test/support/raw-http';
import { type SidecarJobSpan, sidecarJobSpans } from '../../test/support/sidecar-log';
import { type BenchContext, type BenchLine, type BenchRow, median, percentile } from '../support/bench-row';

/** The length of a TRELLIS.2 job the control plane's share is taken of (a reference, not measured here). */
const TRELLIS_JOB_MS = 60_000;
const GAP_GOAL_MS = 20;
const PICTURE = 'typical_misc_lantern.png';
const ROW = 'GPU idle gap';

interface GapRun {
  gaps: number[];
  /** Hand-offs skipped because no task was waiting yet (the uploads had not caught up). */
  skipped: number;
}

async function startBenchApi(
  context: BenchContext,
  name: string,
  env: Record<string, string>,
): Promise<ApiProcess> {
  await clearKilnKeys(context.redisUrl);
  return startApi({
    staticDir: join(context.workDir, name, 'static'),
    logDir: join(context.workDir, name, 'logs'),
    env: { REDIS_URL: context.redisUrl, SIMULATE_SECONDS: '0', ...env },
  });
}

async function waitAllFinished(api: ApiProcess, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} task(s) not finished in ${timeoutMs} ms`);
    for (const id of [...pending]) {
      const response = await fetch(`${api.url}/api/tasks/${id}`);
      const body = (await response.json()) as { status?: string; error?: string };
      if (body.status === 'failed') throw new Error(`task ${id} failed: ${body.error}`);
      if (body.status === 'completed') pending.delete(id);
    }
    await sleep(250);
  }
}

/**
 * Submits `jobs` tasks (20 uploads at a time) to an idle api and reads, from the sidecar's own
 * log, the time between one job's end and the next one's start, counting only hand-offs where
 * the next task had been created before the last job ended (a task was waiting).
 */
async function measureGaps(
  context: BenchContext,
  jobs: number,
  overlap: boolean,
  then?: (api: ApiProcess) => Promise<void>,
): Promise<GapRun> {
  const api = await startBenchApi(context, overlap ? 'overlap' : 'inline', {
    MAX_QUEUE: String(jobs),
    WEB_MODEL_OVERLAP: String(overlap),
  });
  try {
    const picture = sample(PICTURE);
    const created = new Map<string, number>();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, jobs - i) }, async () => {
          const response = await upload<{ task_id: string }>(api.url, picture);
          if (response.status !== 202) throw new Error(`upload answered ${response.status}`);
          const state = (await (await fetch(`${api.url}/api/tasks/${response.body.task_id}`)).json()) as {
            created_at: string;
          };
          created.set(response.body.task_id, Date.parse(state.created_at));
          return response.body.task_id;
        }),
      );
      ids.push(...batch);
    }
    await waitAllFinished(api, ids, 30_000 + jobs * 10_000);
    const spans = sidecarJobSpans(api.output()).filter((s) => created.has(s.taskId));
    if (spans.length !== jobs) throw new Error(`the sidecar logged ${spans.length} of ${jobs} jobs`);
    const gaps: number[] = [];
    let skipped = 0;
    for (let i = 1; i < spans.length; i++) {
      const previousEnd = spans[i - 1].end;
      if (previousEnd === undefined) throw new Error(`no end logged for ${spans[i - 1].taskId}`);
      if ((created.get(spans[i].taskId) ?? Infinity) > previousEnd) skipped++;
      else gaps.push(spans[i].start - previousEnd);
    }
    await then?.(api);
    return { gaps, skipped };
  } finally {
    await api.stop();
  }
}

interface Share {
  before: number[];
  after: number[];
}

/**
 * One task at a time on the api once its queue is empty: upload sent → the sidecar's job start,
 * and the sidecar's job end → `completed` received on the task's SSE stream (this machine's clock).
 */
async function measureShare(api: ApiProcess, samples: number): Promise<Share> {
  const share: Share = { before: [], after: [] };
  const picture = sample(PICTURE);
  for (let i = 0; i < samples; i++) {
    const sentAt = Date.now();
    const response = await upload<{ task_id: string }>(api.url, picture);
    if (response.status !== 202) throw new Error(`upload answered ${response.status}`);
    const id = response.body.task_id;
    const read = await readTimedSse(`${api.url}/api/status/${id}`, { timeoutMs: 60_000 });
    const completed = timedEvents(read).find((e) => e.event === 'completed');
    if (!completed)
      throw new Error(`task ${id} did not complete: ${JSON.stringify(timedEvents(read).at(-1))}`);
    let span: SidecarJobSpan | undefined;
    for (let tries = 0; tries < 40 && span?.end === undefined; tries++) {
      span = sidecarJobSpans(api.output()).find((s) => s.taskId === id);
      if (span?.end === undefined) await sleep(50);
    }
    if (span?.end === undefined) throw new Error(`the sidecar did not log task ${id}`);
    share.before.push(span.start - sentAt);
    share.after.push(completed.at - span.end);
  }
  return share;
}

/**
 * GPU idle gap (issue 13): how long the sidecar sits idle between two jobs while tasks wait —
 * with the web optimisation inside the GPU job (WEB_MODEL_OVERLAP=false, the old path: the
 * baseline) and after it (the product) — and the control plane's share of a job.
 */
export const row: BenchRow = {
  name: 'gpu-gap',
  order: 20,
  async run(context) {
    const jobs = context.quick ? 6 : 50;
    context.log(`${jobs} jobs, optimisation inside the GPU job (old path)`);
    const inline = await measureGaps(context, jobs, false);
    context.log(`${jobs} jobs, optimisation after the GPU job; then the control plane share`);
    let share: Share = { before: [], after: [] };
    const overlap = await measureGaps(context, jobs, true, async (api) => {
      share = await measureShare(api, context.quick ? 1 : 10);
    });
    const note =
      `sidecar's own log (job start, job slot freed; ms), simulate engine at 0 s, ${PICTURE}; ` +
      `hand-offs with a task waiting: old ${inline.gaps.length}, new ${overlap.gaps.length} of ${jobs - 1}`;
    const lines: BenchLine[] = [];
    for (const [figure, q] of [
      ['median', 50],
      ['p99', 99],
    ] as const) {
      const after = percentile(overlap.gaps, q);
      const before = percentile(inline.gaps, q);
      lines.push({
        row: ROW,
        figure: `${figure}, ${jobs} jobs`,
        value: after,
        unit: 'ms',
        baseline: { label: 'optimising inside the GPU job', value: before },
        ratio: after / before,
        ...(q === 50 ? { goal: `≤ ${GAP_GOAL_MS} ms`, met: after <= GAP_GOAL_MS } : {}),
        ...(q === 50 ? { note } : {}),
      });
    }
    const reference = { label: 'TRELLIS.2 job, 60 s reference', value: TRELLIS_JOB_MS };
    const before = median(share.before);
    const after = median(share.after);
    lines.push(
      {
        row: 'control plane share',
        figure: 'upload sent → sidecar start (median)',
        value: before,
        unit: 'ms',
        baseline: reference,
        ratio: before / TRELLIS_JOB_MS,
      },
      {
        row: 'control plane share',
        figure: 'sidecar done → `completed` received (median)',
        value: after,
        unit: 'ms',
        baseline: reference,
        ratio: after / TRELLIS_JOB_MS,
        note: "includes the web optimisation of the simulate engine's model, which no longer holds the GPU",
      },
      {
        row: 'control plane share',
        figure: 'both, share of a job',
        value: before + after,
        unit: 'ms',
        baseline: reference,
        ratio: (before + after) / TRELLIS_JOB_MS,
        note: `idle api, one task at a time (${share.before.length}); ratio = fraction of a 60 s TRELLIS.2 job`,
      },
    );
    return lines;
  },
};
