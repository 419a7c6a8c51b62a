import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig, type ProcessRole, runsJobs } from '../../config/app-config';
import { InferenceRepository } from '../../inference/inference.repository';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { ModelStore, ModelStoreUnavailableError } from '../../storage/model-store';
import { RunningJobsService } from '../jobs/running-jobs.service';
import { errorMessage } from '../../common/error-message';

/** How often a process renews its heartbeat. */
export const HEARTBEAT_MS = 2_000;
/** A process whose heartbeat is older than this is gone (killed, or cut off from Redis). */
export const HEARTBEAT_LAPSE_MS = 10_000;
/** The start-time store check gives up on an unreachable Redis after this long (the api starts anyway). */
const START_CHECK_TIMEOUT_MS = 5_000;

/** A worker's state as /api/health lists it. */
export type WorkerState = 'idle' | 'busy' | 'starting' | 'down';

/**
 * What an operator sees of a worker's sidecar (GET /api/admin/overview), carried in the heartbeat
 * so every api process can show every worker. Never on the public GET /api/health.
 */
export interface WorkerSidecarReport {
  /** The sidecar's state as this worker knows it (InferenceHealth.state). */
  state: string;
  /** The sidecar's own words (what it loads, why it failed). */
  message: string;
  /** GPU memory in bytes (0 on a CPU engine). */
  vram_used_bytes: number;
  vram_total_bytes: number;
  /** Jobs the current sidecar process ran (it counts from its own start). */
  jobs_done: number;
  /** Jobs this worker process started since it started (RunningJobsService.jobsStarted). */
  jobs_started: number;
  /** Restarts of the sidecar by this worker (crashes, recycles, the admin restart). */
  restarts: number;
  /** Whether this worker spawned the sidecar (false: INFERENCE_URL). */
  managed: boolean;
  /**
   * The latest fault seen by this worker's heartbeats (isSidecarFault: failed, a crash, a hung
   * sidecar killed), with its message; null when none since the worker started.
   */
  last_error: { message: string; at: string } | null;
}

/** One process's heartbeat, as kept in Redis (RedisKeys.nodes) and listed by /api/health. */
export interface NodeReport {
  id: string;
  role: ProcessRole;
  host: string;
  pid: number;
  /** ModelStore.identity(): equal for every process that shares one store. */
  store: string;
  started_at: string;
  seen_at: string;
  /** null for an api-only process. */
  worker: {
    state: WorkerState;
    task_id: string | null;
    engine: string;
    device: string;
    /** CUDA_VISIBLE_DEVICES of its sidecar (one GPU per worker), null when not pinned. */
    gpu: string | null;
    /** The pid of its sidecar (on its host), null when it runs none (INFERENCE_URL) or none is up. */
    sidecar_pid: number | null;
  } | null;
  /** A worker's sidecar for the ops console (absent in an api-only process and in older heartbeats). */
  sidecar?: WorkerSidecarReport | null;
  /**
   * The options a worker's engine never uses, by kind of job, in proto names (InferenceHealth
   * unusedGenerationOptions, unusedTextureOptions): what GET /api/qualities says before a task.
   * null before its sidecar's first health report and in an api-only process; absent in older
   * heartbeats. Never on GET /api/health (it lists the worker fields alone).
   */
  unused_options?: { generation: string[]; texture: string[] } | null;
}

/** Sidecar states that may be a fault worth showing as the worker's last error. */
const FAULT_STATES = new Set(['failed', 'down', 'restarting']);
/**
 * ManagedSidecar's words for routine stops and starts (not faults): before the first start, an
 * admin restart (graceful or forced), a recycle, a stop.
 */
const ROUTINE_MESSAGES = new Set([
  'not started',
  'restart requested',
  'forced restart requested',
  'planned recycle',
  'stopped',
]);

/**
 * A sidecar health that is a fault (failed, or down or restarting for another reason than a
 * routine one: a crash, a hung sidecar killed); the heartbeat samples it every HEARTBEAT_MS.
 */
export function isSidecarFault(state: string, message: string): boolean {
  return FAULT_STATES.has(state) && message !== '' && !ROUTINE_MESSAGES.has(message);
}

/**
 * Whether no live worker can run a job for now: at least one worker is live and every one reports
 * its sidecar `failed` (ManagedSidecar's crash loop, or an engine that could not load; it is still
 * retried). A worker loading, restarting or unreachable for a while is not failed: its jobs wait
 * for it (TaskRunner). Pure; `nodes` as WorkerRegistry.nodes().
 */
export function everyEngineFailed(nodes: readonly NodeReport[]): boolean {
  const workers = nodes.filter((node) => node.worker !== null);
  return workers.length > 0 && workers.every((node) => node.sidecar?.state === 'failed');
}

/** Resolves true once the client is connected, false if it is not within timeoutMs (Redis down at start). */
async function connected(redis: RedisService, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (redis.client.status !== 'ready') {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Every process on one Redis announces itself here with a heartbeat (docs/design.md, Queue):
 * its role, host, store and, for a worker, its state and running task. Admission counts the live
 * workers (one running slot each); /api/health lists them.
 *
 * At start it refuses a setup that would lose models: a process whose model store is not the
 * one the live processes use (two machines each with its own STATIC_DIR, or a folder beside a
 * bucket) stops with a message naming STORAGE_URL, instead of handing out model URLs other
 * processes answer 404 to. Both a folder's marker (LocalModelStore) and a bucket's address make
 * the store's identity. Without Redis at start the check is skipped with a warning.
 */
@Injectable()
export class WorkerRegistry implements OnModuleInit, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger(WorkerRegistry.name);
  /** This process's id in the registry. */
  readonly id = randomUUID();
  private readonly startedAt: string;
  private store = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError: WorkerSidecarReport['last_error'] = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly models: ModelStore,
    private readonly jobs: RunningJobsService,
    private readonly clock: Clock,
    @Optional() private readonly inference?: InferenceRepository,
  ) {
    this.startedAt = new Date(clock.now()).toISOString();
  }

  async onModuleInit(): Promise<void> {
    this.store = await this.models.identity();
    try {
      // Only an unreachable Redis skips the check; a slow start never does (it would let a wrong store in).
      if (!(await connected(this.redis, START_CHECK_TIMEOUT_MS))) throw new Error('Redis is not reachable');
      await this.beat();
      await this.refuseOtherStores();
    } catch (error) {
      if (error instanceof ModelStoreUnavailableError) {
        await this.leave().catch(() => undefined);
        throw error;
      }
      this.logger.warn(`model stores of other processes not checked: ${errorMessage(error)}`);
    }
    this.timer = setInterval(() => void this.beat().catch(() => undefined), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stops announcing and leaves at once: admission stops counting this worker before its job winds down. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.leave().catch((error: unknown) =>
      this.logger.warn(`registry not left: ${errorMessage(error)}`),
    );
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async leave(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.redis.client
      .multi()
      .hdel(RedisKeys.nodes, this.id)
      .zrem(RedisKeys.nodesAlive, this.id)
      .zrem(RedisKeys.workersAlive, this.id)
      .exec();
  }

  /** This process's report now. */
  async report(): Promise<NodeReport> {
    const now = new Date(this.clock.now()).toISOString();
    let worker: NodeReport['worker'] = null;
    let sidecar: WorkerSidecarReport | null = null;
    let unusedOptions: NodeReport['unused_options'] = null;
    if (runsJobs(this.config)) {
      const running = this.jobs.runningTaskIds;
      const health = await this.inference?.health().catch(() => undefined);
      const state: WorkerState =
        running.length > 0
          ? 'busy'
          : health?.state === 'ready' || health?.state === 'busy'
            ? 'idle'
            : health?.state === 'down' || health?.state === 'failed'
              ? 'down'
              : 'starting';
      worker = {
        state,
        task_id: running[0] ?? null,
        engine: health?.engine ?? '',
        device: health?.device ?? '',
        gpu: process.env.CUDA_VISIBLE_DEVICES ?? null,
        sidecar_pid: health?.pid ?? null,
      };
      if (health && health.engine !== '') {
        unusedOptions = { generation: health.unusedGenerationOptions, texture: health.unusedTextureOptions };
      }
      if (health && isSidecarFault(health.state, health.message)) {
        if (this.lastError?.message !== health.message) this.lastError = { message: health.message, at: now };
      }
      sidecar = {
        state: health?.state ?? 'down',
        message: health?.message ?? 'no health report',
        vram_used_bytes: health?.vramUsedBytes ?? 0,
        vram_total_bytes: health?.vramTotalBytes ?? 0,
        jobs_done: health?.jobsDone ?? 0,
        jobs_started: this.jobs.jobsStarted,
        restarts: health?.restarts ?? 0,
        managed: health?.managed ?? false,
        last_error: this.lastError,
      };
    }
    return {
      id: this.id,
      role: this.config.role,
      host: hostname(),
      pid: process.pid,
      store: this.store,
      started_at: this.startedAt,
      seen_at: now,
      worker,
      sidecar,
      unused_options: unusedOptions,
    };
  }

  /** Renews this process's heartbeat (and, for a worker, its running slot); prunes lapsed ones. */
  private async beat(): Promise<void> {
    if (this.stopped) return;
    const report = await this.report();
    const now = this.clock.now();
    const lapse = now + HEARTBEAT_LAPSE_MS;
    const multi = this.redis.client
      .multi()
      .hset(RedisKeys.nodes, this.id, JSON.stringify(report))
      .zadd(RedisKeys.nodesAlive, lapse, this.id)
      .zremrangebyscore(RedisKeys.nodesAlive, '-inf', now)
      .zremrangebyscore(RedisKeys.workersAlive, '-inf', now);
    if (report.worker) multi.zadd(RedisKeys.workersAlive, lapse, this.id);
    await multi.exec();
  }

  /** The live processes' last reports (this one included), oldest start first. */
  async nodes(): Promise<NodeReport[]> {
    const now = this.clock.now();
    const alive = await this.redis.client.zrangebyscore(RedisKeys.nodesAlive, `(${now}`, '+inf');
    const all = await this.redis.client.hgetall(RedisKeys.nodes);
    const gone = Object.keys(all).filter((id) => !alive.includes(id));
    if (gone.length > 0) await this.redis.client.hdel(RedisKeys.nodes, ...gone);
    return alive
      .map((id) => all[id])
      .filter((raw): raw is string => raw !== undefined)
      .map((raw) => JSON.parse(raw) as NodeReport)
      .sort((a, b) => a.started_at.localeCompare(b.started_at));
  }

  /** Throws ModelStoreUnavailableError when a live process keeps its models elsewhere. */
  private async refuseOtherStores(): Promise<void> {
    const others = (await this.nodes()).filter((node) => node.id !== this.id && node.store !== this.store);
    if (others.length === 0) return;
    const other = others[0];
    const mine =
      this.config.storage.kind === 's3' ? this.models.location : `the folder ${this.models.location}`;
    const theirs = other.store.startsWith('folder:')
      ? 'its own STATIC_DIR folder'
      : other.store.replace(/^s3:/, '');
    throw new ModelStoreUnavailableError(
      `another Kiln3D process on this Redis (${other.role} on ${other.host}, pid ${other.pid}) keeps its models in ` +
        `${theirs}, this one in ${mine}: models made by one would be missing (404) on the other. Give every ` +
        'process the same store: STORAGE_URL=s3://bucket/prefix (with AWS_ENDPOINT_URL_S3 and the keys), or, ' +
        'on one machine, the same STATIC_DIR',
    );
  }
}
