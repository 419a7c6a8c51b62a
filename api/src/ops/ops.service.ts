import { Injectable, Logger } from '@nestjs/common';
import { CleanupService } from '../cleanup/cleanup.service';
import { Clock } from '../common/clock';
import { AdmissionService } from '../tasks/admission/admission.service';
import { RecentFailures } from '../tasks/lifecycle/recent-failures';
import { TaskLifecycle } from '../tasks/lifecycle/task-lifecycle.service';
import { QualityPresetsService } from '../tasks/options/quality-presets.service';
import { type TaskView, toTaskView } from '../tasks/state/task-snapshot';
import { TaskStore } from '../tasks/state/task-store.service';
import { WorkerRegistry } from '../tasks/workers/worker-registry.service';
import type {
  OpsAdmissionsChangeDto,
  OpsAdmissionsDto,
  OpsCleanupDto,
  OpsOverviewDto,
  OpsQueueDto,
  OpsStorageDto,
  OpsWorkerDto,
} from './ops.dto';
import { queueTaskOf, sortQueue, workerOf } from './ops-overview';
import { StoreUsage } from './store-usage';
import { errorMessage } from '../common/error-message';

/**
 * The ops console's api (docs/design.md, Operations: the console), behind ADMIN_TOKEN: one
 * overview of workers, queue, failures, durations and storage, and the operator's actions
 * (pause and resume admissions, a cleanup now, cancel any task). Each action is logged with who
 * did it (`by`: access/admin-operator.ts) and what. The state it reads and writes lives in Redis,
 * so every api process answers the same; the logic of each action stays with its owner
 * (AdmissionService, CleanupService, TaskLifecycle).
 */
@Injectable()
export class OpsService {
  private readonly logger = new Logger('Ops');

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly admission: AdmissionService,
    private readonly tasks: TaskStore,
    private readonly lifecycle: TaskLifecycle,
    private readonly failures: RecentFailures,
    private readonly presets: QualityPresetsService,
    private readonly usage: StoreUsage,
    private readonly cleanup: CleanupService,
    private readonly clock: Clock,
  ) {}

  /** Everything the console shows (OpsOverviewDto). Rejects only when Redis cannot be read. */
  async overview(): Promise<OpsOverviewDto> {
    const [admissions, workers, queue, failures, durations, storage] = await Promise.all([
      this.admissions(),
      this.workers(),
      this.queue(),
      this.failures.counts(),
      this.presets.list(),
      this.storage(),
    ]);
    return {
      generated_at: new Date(this.clock.now()).toISOString(),
      admissions,
      workers,
      queue,
      failures,
      durations: {
        job_timeout_s: durations.job_timeout_s,
        measured_on: durations.measured_on,
        presets: durations.presets.map(({ quality, expected_s, measured_s, measured_jobs, offered }) => ({
          quality,
          expected_s,
          measured_s,
          measured_jobs,
          offered,
        })),
      },
      storage,
    };
  }

  /** Pauses admissions on every api process (idempotent); logs who. */
  async pause(by: string): Promise<OpsAdmissionsChangeDto> {
    const { pause, changed } = await this.admission.pause(by);
    this.logger.warn(
      changed
        ? `admissions paused by ${by}: new uploads answer 503 until resumed`
        : `admissions pause repeated by ${by} (paused since ${pause.since} by ${pause.by})`,
    );
    return { paused: true, since: pause.since, by: pause.by, changed };
  }

  /** Resumes admissions (idempotent); logs who. */
  async resume(by: string): Promise<OpsAdmissionsChangeDto> {
    const changed = await this.admission.resume();
    this.logger.warn(
      changed ? `admissions resumed by ${by}` : `admissions resume by ${by}: they were not paused`,
    );
    return { paused: false, since: null, by: null, changed };
  }

  /** Runs the model cleanup now (CleanupService.sweep); answers what it deleted; logs who. */
  async cleanupNow(by: string): Promise<OpsCleanupDto> {
    this.logger.warn(`model cleanup requested by ${by}`);
    const { deleted, bytes, tasks } = await this.cleanup.sweep();
    this.usage.invalidate();
    this.logger.warn(
      `model cleanup requested by ${by}: ${deleted} file(s), ${bytes} bytes deleted, ${tasks} task(s) forgotten`,
    );
    return { deleted, bytes };
  }

  /**
   * The operator's cancel of any task, without its token (TaskLifecycle.cancelByOperator: the
   * same transition as DELETE /api/tasks/{id}). Answers the final snapshot (URLs against
   * `baseUrl`). ApiError 404 task_not_found, 409 task_already_finished.
   */
  async cancel(taskId: string, by: string, baseUrl: string): Promise<TaskView> {
    this.logger.warn(`task ${taskId}: cancel requested by operator ${by}`);
    const state = await this.lifecycle.cancelByOperator(taskId, by);
    return toTaskView(state.record, baseUrl);
  }

  private async admissions(): Promise<OpsAdmissionsDto> {
    const pause = await this.admission.pauseState();
    return { paused: pause !== null, since: pause?.since ?? null, by: pause?.by ?? null };
  }

  private async workers(): Promise<OpsWorkerDto[]> {
    return (await this.registry.nodes()).flatMap((node) => workerOf(node) ?? []);
  }

  /** The tasks holding a queue slot (each a job: followers of a shared job hold none). */
  private async queue(): Promise<OpsQueueDto> {
    const [ids, capacity] = await Promise.all([this.admission.heldIds(), this.admission.capacity()]);
    const now = this.clock.now();
    // A place is held by a job (its first task's id); the repeats following it are tasks of
    // their own, and the job goes on for them when its first task was cancelled.
    const jobs = await Promise.all(
      ids.map(async (jobId) => {
        const members = await this.tasks.membersOf(jobId);
        const states = await Promise.all(members.map((id) => this.tasks.get(id)));
        return states.flatMap((state) =>
          state && (state.record.status === 'queued' || state.record.status === 'processing')
            ? [queueTaskOf(state.record, now, jobId)]
            : [],
        );
      }),
    );
    const tasks = sortQueue(jobs.flat());
    const jobsIn = (status: string): number =>
      new Set(tasks.filter((t) => t.status === status).map((t) => t.job_id)).size;
    return { capacity, running: jobsIn('processing'), waiting: jobsIn('queued'), tasks };
  }

  /** The store's usage and the cleanup's schedule; null (logged) when the store cannot be listed. */
  private async storage(): Promise<OpsStorageDto | null> {
    try {
      const figures = await this.usage.figures();
      const next = this.cleanup.nextRunAt();
      return {
        ...figures,
        retention_hours: this.cleanup.retentionHours,
        next_cleanup_at: next === null ? null : next.toISOString(),
      };
    } catch (error) {
      this.logger.warn(`store usage not measured: ${errorMessage(error)}`);
      return null;
    }
  }
}
