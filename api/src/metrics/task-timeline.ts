import { isTerminal, type TaskRecord } from '../tasks/state/task-snapshot';

/** How one finished task counts in the metrics. */
export interface TaskOutcome {
  outcome: 'completed' | 'failed';
  /** 200 for a completed task, else the failed task's http_status (504, 500, 409 for a cancel, ...). */
  httpStatus: number;
  /** From processing to finished (seconds); undefined when the task never ran (e.g. cancelled while queued). */
  jobSeconds: number | undefined;
  /** Each stage seen from its start to the next stage (or the end), in order; only for a completed task. */
  stages: { stage: string; seconds: number }[];
}

/** Most tasks followed at once; an older one is dropped (its terminal event was missed). */
const MAX_TRACKED = 256;

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? undefined : value;
};

/**
 * Follows tasks through their published snapshots (the task events every api process receives)
 * and says, when one finishes, its outcome, job duration and stage durations. Times come from the
 * snapshots' own timestamps (`started_at`, each change's `updated_at`, `finished_at`), never from
 * when an event arrived. A stage change is always published (the progress throttle lets it pass),
 * so each stage's start is seen; a task first seen mid-stage has that stage measured from then.
 */
export class TaskTimeline {
  private readonly open = new Map<string, { stage: string; since: number; stages: TaskOutcome['stages'] }>();

  /** Takes one snapshot; returns the outcome when it is the task's terminal one, else undefined. */
  observe(taskId: string, record: TaskRecord): TaskOutcome | undefined {
    if (record.status === 'processing') {
      this.trackStage(taskId, record);
      return undefined;
    }
    if (!isTerminal(record.status)) {
      // Back to queued (a graceful stop's requeue): the run starts over.
      this.open.delete(taskId);
      return undefined;
    }
    const current = this.open.get(taskId);
    this.open.delete(taskId);
    const finished = ms(record.finished_at) ?? ms(record.updated_at);
    const started = ms(record.started_at);
    if (record.status === 'completed') {
      const stages = current ? [...current.stages] : [];
      if (current && finished !== undefined)
        stages.push({ stage: current.stage, seconds: seconds(finished - current.since) });
      return {
        outcome: 'completed',
        httpStatus: 200,
        jobSeconds:
          record.generation_time ??
          (started !== undefined && finished !== undefined ? seconds(finished - started) : undefined),
        stages,
      };
    }
    return {
      outcome: 'failed',
      httpStatus: record.http_status ?? 500,
      jobSeconds: started !== undefined && finished !== undefined ? seconds(finished - started) : undefined,
      stages: [],
    };
  }

  /** Tasks followed now (for tests). */
  get size(): number {
    return this.open.size;
  }

  private trackStage(taskId: string, record: TaskRecord): void {
    const stage = record.stage;
    const at = ms(record.updated_at);
    if (stage === undefined || at === undefined) return;
    const current = this.open.get(taskId);
    if (current === undefined) {
      if (this.open.size >= MAX_TRACKED) this.open.delete(this.open.keys().next().value as string);
      this.open.set(taskId, { stage, since: at, stages: [] });
      return;
    }
    if (current.stage === stage) return;
    current.stages.push({ stage: current.stage, seconds: seconds(at - current.since) });
    current.stage = stage;
    current.since = at;
  }
}

/** Milliseconds as seconds, never negative (clocks of two api processes may differ slightly). */
function seconds(millis: number): number {
  return Math.max(0, millis) / 1000;
}
