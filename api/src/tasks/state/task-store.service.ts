import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import type { DurationEstimates } from '../options/job-durations';
import {
  CANCEL_TASK_LUA,
  FOLLOW_JOB_LUA,
  FORGET_COMPLETED_LUA,
  REFRESH_POSITIONS_LUA,
  UPDATE_TASK_LUA,
} from './task-store.lua';
import { isTaskId, newModelId } from '../../storage/model-names';
import { type ModelOwnSize, isMeshUnits } from '../../storage/model-units';
import type {
  TaskFiguresPatch,
  TaskOptionsRecord,
  TaskPatch,
  TaskRecord,
  TaskState,
  TaskStatus,
} from './task-snapshot';

/**
 * The task hash field that keeps an unfinished task's instant-repeat keys (comma-separated) until
 * it completes (tasks/repeats/repeat-registry.ts): beside the snapshot, never in it.
 */
export const REPEAT_KEYS_FIELD = 'repeat_keys';

/** Task state and the queued image live 48 h in Redis (docs/design.md, Queue). */
export const TASK_TTL_S = 48 * 3600;

/** Task keys read per SCAN step and per FORGET_COMPLETED_LUA call (one short script each). */
const FORGET_BATCH = 500;

/** Where Bull keeps the generation queue's lists and jobs (a job's lock is `<jobPrefix><id>:lock`). */
export interface BullQueueKeys {
  wait: string;
  active: string;
  jobPrefix: string;
}

/**
 * A task's records in Redis: its snapshot hash (`kiln:task:{id}`: snapshot JSON, status, seq)
 * and, until it finishes, its normalised image. Every change goes through UPDATE_TASK_LUA; a status
 * change only through transition(), which only TaskLifecycle calls. A task leaves Redis by its TTL,
 * or, completed, when the cleanup has deleted its model (forgetCompleted, through TaskLifecycle).
 */
@Injectable()
export class TaskStore {
  /** A completed task's TTL: its model's retention (RETENTION_HOURS) when under TASK_TTL_S. */
  private readonly completedTtlS: number;
  /** A painted model's own size's TTL: the longest its files can live (its job within TASK_TTL_S, then RETENTION_HOURS). */
  private readonly ownSizeTtlS: number;

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'retentionHours'>,
  ) {
    this.completedTtlS = Math.min(TASK_TTL_S, Math.max(1, Math.round(config.retentionHours * 3600)));
    this.ownSizeTtlS = TASK_TTL_S + Math.max(1, Math.round(config.retentionHours * 3600));
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Creates a queued task (event id 1) with its options, a new model id (the name its model files
   * will have: newModelId) and the hash of its task token (lifecycle/task-token.ts; kept beside
   * the snapshot, never in it), and keeps its normalised image beside it. repeatKeys: the
   * request's instant-repeat keys (RepeatRegistry), kept in the task's hash (never in its
   * snapshot) until it completes, and naming its job (`kiln:repeat-live:{key}`) until it ends;
   * none when repeats are off. mesh: a texturing task's canonical GLB (kind `texture`), kept beside
   * its picture and dropped with it; ownSize: its model's own size (the mesh's units and extent),
   * kept by the model's id for its formats (RedisKeys.modelOwnSize, ownSizeOf) in the same step.
   */
  async create(
    taskId: string,
    image: Buffer,
    tokenHash: string,
    options?: TaskOptionsRecord,
    repeatKeys: readonly string[] = [],
    mesh?: Buffer,
    ownSize?: ModelOwnSize,
  ): Promise<TaskState> {
    const now = this.nowIso();
    const record: TaskRecord = {
      task_id: taskId,
      ...(mesh ? { kind: 'texture' as const } : {}),
      status: 'queued',
      created_at: now,
      updated_at: now,
      model_id: newModelId(),
      ...(options ? { options } : {}),
    };
    return this.store(record, tokenHash, image, repeatKeys, mesh, ownSize);
  }

  /** Stores a task that is finished from the start (an instant repeat: TaskLifecycle.reuse), event id 1. */
  async createFinished(record: TaskRecord, tokenHash: string): Promise<TaskState> {
    return this.store(record, tokenHash);
  }

  /** A new task's hash (event id 1, its token's hash) and, while it waits, its picture: one MULTI. */
  private async store(
    record: TaskRecord,
    tokenHash: string,
    image?: Buffer,
    repeatKeys: readonly string[] = [],
    mesh?: Buffer,
    ownSize?: ModelOwnSize,
  ): Promise<TaskState> {
    const key = RedisKeys.task(record.task_id);
    const write = this.redis.client
      .multi()
      .hset(key, 'snapshot', JSON.stringify(record), 'status', record.status, 'seq', 1, 'token', tokenHash);
    if (repeatKeys.length > 0) write.hset(key, REPEAT_KEYS_FIELD, repeatKeys.join(','));
    // While it is unfinished its keys name its job, for repeats to follow (RepeatRegistry.liveJobOf).
    for (const repeatKey of repeatKeys) {
      write.set(RedisKeys.repeatLive(repeatKey), record.task_id, 'EX', TASK_TTL_S);
    }
    write.expire(key, record.status === 'completed' ? this.completedTtlS : TASK_TTL_S);
    if (image) write.set(RedisKeys.image(record.task_id), image, 'EX', TASK_TTL_S);
    // Dropped with the picture by the job scripts (RedisKeys.mesh: the picture's key + a suffix).
    if (mesh) write.set(RedisKeys.mesh(record.task_id), mesh, 'EX', TASK_TTL_S);
    if (ownSize && record.model_id !== undefined) {
      write.set(RedisKeys.modelOwnSize(record.model_id), JSON.stringify(ownSize), 'EX', this.ownSizeTtlS);
    }
    await write.exec();
    return { seq: 1, record };
  }

  async get(taskId: string): Promise<TaskState | undefined> {
    const [snapshot, seq, watertight] = await this.redis.client.hmget(
      RedisKeys.task(taskId),
      'snapshot',
      'seq',
      'watertight',
    );
    if (snapshot === null || seq === null) return undefined;
    const record = JSON.parse(snapshot) as TaskRecord;
    if (watertight !== null) record.watertight = watertight === 'true';
    return { seq: Number(seq), record };
  }

  /**
   * Notes what a download measured of a completed task's model (formats/model-downloads.service.ts):
   * a field of the task's hash beside its snapshot, which get() adds to the record. The snapshot
   * itself stays as the task ended (a finished task's record never changes: task-store.lua.ts
   * MERGE), and no event is sent: nothing is waiting on a finished task's stream. A task gone
   * meanwhile is left alone.
   */
  async noteWatertight(taskId: string, watertight: boolean): Promise<void> {
    await this.redis.client.eval(
      "if redis.call('HGET', KEYS[1], 'status') == 'completed' then redis.call('HSET', KEYS[1], 'watertight', ARGV[1]) end",
      1,
      RedisKeys.task(taskId),
      String(watertight),
    );
  }

  /** The task, or ApiError 404 "Task not found" (an id that is no UUID v4 is never looked up). */
  async require(taskId: string): Promise<TaskState> {
    const state = isTaskId(taskId) ? await this.get(taskId) : undefined;
    if (!state) throw new ApiError('task_not_found');
    return state;
  }

  /**
   * The job a task follows (docs/design.md, Instant repeats): the `job` field of its hash, else its
   * own id (a task that made its job, or one stored before shared jobs).
   */
  async jobOf(taskId: string): Promise<string> {
    return (await this.redis.client.hget(RedisKeys.task(taskId), 'job')) ?? taskId;
  }

  /** The ids of the tasks following job `jobId` (its set; just the id when no repeat followed it). */
  async membersOf(jobId: string): Promise<string[]> {
    const ids = await this.redis.client.smembers(RedisKeys.job(jobId));
    return ids.length > 0 ? ids : [jobId];
  }

  /**
   * The job's record as its runner needs it (options, model id, status): the first task following
   * it that is unfinished, else its first task's, else the first member found; undefined when none
   * exists. Every member carries the same options and model id (FOLLOW_JOB_LUA copies them).
   */
  async jobState(jobId: string): Promise<TaskState | undefined> {
    let found: TaskState | undefined;
    for (const id of await this.membersOf(jobId)) {
      const state = await this.get(id);
      if (state && (state.record.status === 'queued' || state.record.status === 'processing')) return state;
      found ??= state;
    }
    return found ?? (await this.get(jobId));
  }

  /**
   * `follow`: stores task `taskId` following the unfinished job `jobId` with a copy of its record
   * under its own id and times (FOLLOW_JOB_LUA: one step) when one of its tasks is in one of `joins`;
   * undefined when the job is finished or gone.
   */
  async follow(
    taskId: string,
    jobId: string,
    tokenHash: string,
    joins: readonly TaskStatus[],
  ): Promise<TaskState | undefined> {
    const now = this.nowIso();
    const followed = await this.redis.client.eval(
      FOLLOW_JOB_LUA,
      1,
      RedisKeys.task(taskId),
      taskId,
      jobId,
      JSON.stringify({ task_id: taskId, created_at: now, updated_at: now }),
      tokenHash,
      TASK_TTL_S,
      RedisKeys.taskPrefix,
      RedisKeys.jobPrefix,
      joins.join(','),
    );
    return Number(followed) === 1 ? this.get(taskId) : undefined;
  }

  /**
   * `cancel` of one task (CANCEL_TASK_LUA): `patch` applied to it alone when it is in one of `from`,
   * and it leaves its job; the job ends in the same step (slot, picture, live repeat keys) when no
   * task follows it any more. Returns the event id (as transition), the status after, and the id of
   * the job that ended (undefined when it runs on for others or the cancel was refused).
   */
  async cancel(
    taskId: string,
    from: readonly TaskStatus[],
    patch: TaskPatch,
  ): Promise<{ seq: number; status: TaskStatus | undefined; endedJob: string | undefined }> {
    const [seq, status, endedJob] = (await this.runJobScript(CANCEL_TASK_LUA, taskId, from, patch, {
      releaseSlot: false,
      dropImage: false,
    })) as [number, string, string];
    return {
      seq: Number(seq),
      status: status === '' ? undefined : (status as TaskStatus),
      endedJob: endedJob === '' ? undefined : endedJob,
    };
  }

  /**
   * Changes a job's status: TaskLifecycle's one way to do it (tasks/lifecycle/task-transitions.ts
   * says which change, from which statuses, with which effects). Applies `patch` atomically to
   * every task following job `taskId` (the job's id is its first task's: a task that no repeat
   * followed is its job alone) that is in one of `from` (and unfinished), each with its own event
   * id and publish, and with `releaseSlot` / `dropImage` frees the job's queue slot (and its live
   * repeat keys) / deletes its queued picture in the same step, when any task changed.
   * Returns the first new event id (0 when refused or nothing changed, -1 when no task exists)
   * and the status after the call (undefined when none exists; 'completed' when a refused event
   * found a completed task).
   */
  async transition(
    taskId: string,
    from: readonly TaskStatus[],
    patch: TaskPatch,
    effects: { releaseSlot: boolean; dropImage: boolean },
  ): Promise<{ seq: number; status: TaskStatus | undefined }> {
    const [seq, status] = (await this.runJobScript(UPDATE_TASK_LUA, taskId, from, patch, effects)) as [
      number,
      string,
    ];
    return { seq: Number(seq), status: status === '' ? undefined : (status as TaskStatus) };
  }

  /** Runs a job script (task-store.lua.ts JOB_SCRIPT's KEYS and ARGV) for `taskId` with `patch` (updated_at added). */
  private runJobScript(
    script: string,
    taskId: string,
    from: readonly TaskStatus[],
    patch: TaskPatch,
    effects: { releaseSlot: boolean; dropImage: boolean },
  ): Promise<unknown> {
    return this.redis.client.eval(
      script,
      3,
      RedisKeys.task(taskId),
      RedisKeys.admission,
      RedisKeys.admissionClients,
      taskId,
      JSON.stringify({ ...patch, updated_at: this.nowIso() }),
      TASK_TTL_S,
      this.redis.channel(RedisKeys.taskEventsChannel),
      from.join(','),
      effects.releaseSlot ? '1' : '0',
      effects.dropImage ? '1' : '0',
      RedisKeys.image(''),
      RedisKeys.taskPrefix,
      RedisKeys.jobPrefix,
      RedisKeys.repeatLivePrefix,
      this.completedTtlS,
      RedisKeys.preview(''),
    );
  }

  /**
   * Updates a running job's figures (progress, stage, preview: never its status) atomically on
   * every task following it (transition) and publishes them. Returns the new event id, 0 when nothing changed (the task is not in one of
   * `allowed`, is finished, or the patch changes nothing), -1 when the task does not exist.
   */
  async update(taskId: string, patch: TaskFiguresPatch, allowed: readonly TaskStatus[]): Promise<number> {
    const { seq } = await this.transition(taskId, allowed, patch, { releaseSlot: false, dropImage: false });
    return seq;
  }

  /**
   * Recomputes position and ETA of every waiting task (REFRESH_POSITIONS_LUA): the stalled jobs
   * of Bull's active list (lock lapsed) first, then its wait list; each of them reads `queued`,
   * with `backInQueue` (TaskLifecycle's return-to-queue fields) applied to one that still read
   * `processing`. estimates: the expected seconds of a job per quality and of a texturing job
   * (JobDurationsService.estimates()).
   * Returns how many tasks changed.
   */
  async refreshPositions(
    bull: BullQueueKeys,
    estimates: DurationEstimates,
    backInQueue: TaskPatch,
  ): Promise<number> {
    const result = await this.redis.client.eval(
      REFRESH_POSITIONS_LUA,
      4,
      bull.wait,
      RedisKeys.admission,
      bull.active,
      RedisKeys.workersAlive,
      RedisKeys.taskPrefix,
      TASK_TTL_S,
      this.redis.channel(RedisKeys.taskEventsChannel),
      JSON.stringify({ ...estimates.byQuality, texture: estimates.texture }),
      estimates.any,
      this.nowIso(),
      bull.jobPrefix,
      this.clock.now(),
      JSON.stringify(backInQueue),
      RedisKeys.jobPrefix,
    );
    return Number(result);
  }

  /**
   * Deletes every `completed` task that names one of `modelIds` (its model files were deleted by
   * the cleanup), with its voxel preview: FORGET_COMPLETED_LUA, one step per task, so it then reads
   * as a task whose TTL ran out (404 task_not_found). Finds them by scanning the task hashes
   * (SCAN, FORGET_BATCH keys a step): no index maps a model to its tasks (the maker, the tasks
   * following its job and the instant repeats that reused it all name it), and a scan also finds
   * tasks stored before model ids. Safe on several api processes at once (a task goes once).
   * modelIds: model ids (UUID v4; a task stored before model ids is named by its task id).
   * Returns the ids of the tasks deleted; none when `modelIds` is empty. Throws on a Redis error
   * (those deleted before it stay deleted).
   */
  async forgetCompleted(modelIds: readonly string[]): Promise<string[]> {
    if (modelIds.length === 0) return [];
    const forgotten: string[] = [];
    const batches = this.redis.client.scanStream({ match: `${RedisKeys.taskPrefix}*`, count: FORGET_BATCH });
    for await (const keys of batches as AsyncIterable<string[]>) {
      // Only task hashes: the script reads each as one (another key type would fail the step).
      const taskKeys = keys.filter((key) => isTaskId(key.slice(RedisKeys.taskPrefix.length)));
      if (taskKeys.length === 0) continue;
      const ids = (await this.redis.client.eval(
        FORGET_COMPLETED_LUA,
        taskKeys.length,
        ...taskKeys,
        RedisKeys.preview(''),
        ...modelIds,
      )) as string[];
      forgotten.push(...ids);
    }
    return forgotten;
  }

  /**
   * A painted model's own size (its mesh's units and extent: create's ownSize), by the model's id,
   * which downloads by model id know alone; undefined for a generated model, a model painted before
   * units existed, or one whose record is gone or unreadable (its formats are then made as a
   * generated model's). Throws on a Redis error.
   */
  async ownSizeOf(modelId: string): Promise<ModelOwnSize | undefined> {
    const json = await this.redis.client.get(RedisKeys.modelOwnSize(modelId));
    if (json === null) return undefined;
    let size: { units?: unknown; extent?: unknown };
    try {
      size = JSON.parse(json) as { units?: unknown; extent?: unknown };
    } catch {
      return undefined;
    }
    const { units, extent } = size;
    if (typeof units !== 'string' || !isMeshUnits(units) || !Array.isArray(extent) || extent.length !== 3) {
      return undefined;
    }
    const sides = extent.filter(
      (side): side is number => typeof side === 'number' && Number.isFinite(side) && side >= 0,
    );
    return sides.length === 3 ? { units, extent: [sides[0], sides[1], sides[2]] } : undefined;
  }

  /** Forgets the own sizes of models `modelIds` (their files were deleted: TaskLifecycle). Throws on a Redis error. */
  async forgetOwnSizes(modelIds: readonly string[]): Promise<void> {
    for (let i = 0; i < modelIds.length; i += FORGET_BATCH) {
      await this.redis.client.del(
        ...modelIds.slice(i, i + FORGET_BATCH).map((id) => RedisKeys.modelOwnSize(id)),
      );
    }
  }

  /** The SHA-256 (hex) of the task's token; undefined for an unknown task or one made before tokens. */
  async tokenHashOf(taskId: string): Promise<string | undefined> {
    return (await this.redis.client.hget(RedisKeys.task(taskId), 'token')) ?? undefined;
  }

  async getImage(taskId: string): Promise<Buffer | null> {
    return this.redis.client.getBuffer(RedisKeys.image(taskId));
  }

  /** A queued texturing task's canonical mesh (GLB), until its job ends; null otherwise. */
  async getMesh(taskId: string): Promise<Buffer | null> {
    return this.redis.client.getBuffer(RedisKeys.mesh(taskId));
  }
}
