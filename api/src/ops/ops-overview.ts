import type { TaskRecord } from '../tasks/state/task-snapshot';
import type { NodeReport } from '../tasks/workers/worker-registry.service';
import type { OpsQueueTaskDto, OpsWorkerDto } from './ops.dto';

/**
 * One unfinished task as the console lists it: its id, the job it follows (`jobId`: its own id
 * unless it is an instant repeat riding on another task's job), status, age (s, one decimal, from
 * created_at to `nowMs`), queue figures and quality; never its token, picture or files. Pure.
 */
export function queueTaskOf(record: TaskRecord, nowMs: number, jobId = record.task_id): OpsQueueTaskDto {
  const created = Date.parse(record.created_at);
  return {
    task_id: record.task_id,
    job_id: jobId,
    status: record.status,
    age_s: Number.isFinite(created) ? Math.max(0, Math.round((nowMs - created) / 100) / 10) : 0,
    position: record.position ?? null,
    eta_s: record.eta_s ?? null,
    quality: record.options?.quality ?? null,
    progress: record.status === 'processing' ? (record.progress ?? null) : null,
    stage: record.status === 'processing' ? (record.stage ?? null) : null,
  };
}

/** Running tasks first (oldest first), then the waiting ones by position (unknown last), then by age. Pure. */
export function sortQueue(tasks: readonly OpsQueueTaskDto[]): OpsQueueTaskDto[] {
  const rank = (t: OpsQueueTaskDto): number => (t.status === 'processing' ? 0 : 1);
  return [...tasks].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) ||
      b.age_s - a.age_s,
  );
}

/** A worker's heartbeat (WorkerRegistry) as the console shows it; undefined for an api-only process. Pure. */
export function workerOf(node: NodeReport): OpsWorkerDto | undefined {
  if (node.worker === null) return undefined;
  return {
    id: node.id,
    host: node.host,
    pid: node.pid,
    role: node.role,
    seen_at: node.seen_at,
    started_at: node.started_at,
    ...node.worker,
    sidecar: node.sidecar ?? null,
  };
}
