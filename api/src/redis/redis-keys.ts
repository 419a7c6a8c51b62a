/** Every key and channel the api uses starts with this (tests clear `kiln:*`). */
const PREFIX = 'kiln:';
/** A task's hash is this prefix + its id (the Lua scripts get the prefix to build keys). */
const TASK_PREFIX = `${PREFIX}task:`;
/** A texturing task's mesh key is its picture key + this (task-store.lua.ts deletes both together). */
export const MESH_SUFFIX = ':mesh';

/** Every Redis key and channel the api uses, in one place: no other module spells a key. */
export const RedisKeys = {
  prefix: PREFIX,
  taskPrefix: TASK_PREFIX,
  task: (taskId: string) => `${TASK_PREFIX}${taskId}`,
  /** The normalised PNG of a task that has not run yet (survives an api restart). */
  image: (taskId: string) => `${PREFIX}image:${taskId}`,
  /**
   * The canonical GLB of a texturing task that has not run yet (tasks/intake/mesh-intake.ts), beside
   * its picture: the image key + MESH_SUFFIX, so the job scripts that drop the picture drop it too.
   */
  mesh: (taskId: string) => `${PREFIX}image:${taskId}${MESH_SUFFIX}`,
  /** Hash of a task's latest voxel preview (coords, stage, resolution, count, rev); the task's TTL. */
  preview: (taskId: string) => `${PREFIX}preview:${taskId}`,
  /** Instant repeats: the task holding a request key (tasks/repeats/repeat-registry.ts); RETENTION_HOURS. */
  repeat: (key: string) => `${PREFIX}repeat:${key}`,
  /**
   * Set of the task ids following a shared job (docs/design.md, Instant repeats); the job's id is
   * its first task's id. Exists only once a repeat followed the job; TASK_TTL_S, like a task.
   */
  job: (jobId: string) => `${PREFIX}job:${jobId}`,
  jobPrefix: `${PREFIX}job:`,
  /**
   * Instant repeats of unfinished jobs: the job a request key names while it is queued or running
   * (tasks/repeats/repeat-registry.ts); deleted in the step that ends the job, TASK_TTL_S at most.
   */
  repeatLive: (key: string) => `${PREFIX}repeat-live:${key}`,
  repeatLivePrefix: `${PREFIX}repeat-live:`,
  /** Sorted set of admitted, unfinished task ids (score = admission time, ms). */
  admission: `${PREFIX}admission`,
  /** Hash: admitted task id -> the client key (common/client-address limitKey) that holds its slot. */
  admissionClients: `${PREFIX}admission-clients`,
  /**
   * Set while an operator paused admissions (POST /api/admin/admissions/pause): JSON
   * {"since": ISO time, "by": who}. Every api process reads it before decoding an upload; no TTL.
   */
  admissionsPaused: `${PREFIX}admissions-paused`,
  /**
   * Sorted set of recent task failures (tasks/lifecycle/recent-failures.ts): member
   * "<ms>:<error_code>:<task id>", score the time (ms); trimmed to a day and to FAILURES_KEPT members.
   */
  recentFailures: `${PREFIX}recent-failures`,
  /** rate-limiter-flexible's key prefix for uploads per client per minute (it appends ":<client key>"). */
  uploadRatePrefix: `${PREFIX}upload-rate`,
  /** rate-limiter-flexible's key prefix of the upload rate of an IPv6 /48 site (UploadRateService). */
  uploadSiteRatePrefix: `${PREFIX}upload-site-rate`,
  /** rate-limiter-flexible's key prefix for reads and cancels per client per minute (limits/read-rate.service.ts). */
  readRatePrefix: `${PREFIX}read-rate`,
  /** Recent GPU-part durations (s) of one series (a quality preset, or `texture`), newest first (tasks/options/job-durations.ts). */
  durations: (series: string) => `${PREFIX}durations:${series}`,
  /** "<engine> on <device>" that measured the durations; another one drops them (RECORD_DURATION_LUA). */
  durationProfile: `${PREFIX}durations-profile`,
  /** Set by the one api process that counts a finished task in its metrics (SET NX, 1 h). */
  metricsClaim: (taskId: string) => `${PREFIX}metrics-counted:${taskId}`,
  /**
   * Hash of a model's files in other formats (formats/format-builds.service.ts): variant key
   * ("obj", "stl@100") -> JSON of its state (building, ready with bytes and watertight, failed);
   * RETENTION_HOURS from its last change, like the files.
   */
  modelFormats: (modelId: string) => `${PREFIX}model-formats:${modelId}`,
  /**
   * A painted model's own size (storage/model-units.ts ModelOwnSize: JSON {units, extent}), written
   * with its texturing task (tasks/state/task-store.service.ts) for its formats (its STL and 3MF at
   * that size, its USDZ's unit); TASK_TTL_S + RETENTION_HOURS, the longest its files can live, and
   * deleted with them. None for a generated model.
   */
  modelOwnSize: (modelId: string) => `${PREFIX}model-own-size:${modelId}`,
  /** Held (SET NX PX) by the one process making a model's file in one format and size. */
  formatBuild: (modelId: string, variant: string) => `${PREFIX}format-build:${modelId}:${variant}`,
  /**
   * Hash of a task's webhook targets and progress (webhooks/webhook-store.ts): `base_url` (the
   * origin its snapshot's URLs are made absolute against), `callback_url` (its maker's, if any),
   * `client` (its maker's limit key, for WEBHOOK_PENDING_PER_CLIENT),
   * `status` and `seq` (the last status change turned into deliveries); the task's TTL.
   */
  webhook: (taskId: string) => `${PREFIX}webhook:${taskId}`,
  /**
   * Sorted set of one client's unfinished callback deliveries (job id -> the time, ms, by which it
   * has surely ended): WEBHOOK_PENDING_PER_CLIENT counts them (webhooks/webhook-store.ts).
   */
  webhookPending: (client: string) => `${PREFIX}webhook-pending:${client}`,
  /**
   * Sorted set of one client's (or IPv6 /48 site's) callback attempts in flight (job id -> the end
   * of its lease, ms), with the lease's TTL: WEBHOOK_IN_FLIGHT_PER_CLIENT counts them
   * (webhooks/webhook-store.ts).
   */
  webhookInFlight: (client: string) => `${PREFIX}webhook-in-flight:${client}`,
  /** List of a task's webhook delivery attempts, newest last, JSON each (at most 100); the task's TTL. */
  webhookLog: (taskId: string) => `${PREFIX}webhook-log:${taskId}`,
  /** Bull's own keys live under this prefix. */
  bullPrefix: `${PREFIX}bull`,
  /** Pub/sub (RedisService.channel() adds the database): "<seq>\n<taskId>\n<snapshot JSON>" for every task change. */
  taskEventsChannel: `${PREFIX}task-events`,
  /** Hash: process id -> its last heartbeat (JSON: role, host, pid, store identity, worker state). */
  nodes: `${PREFIX}nodes`,
  /** Sorted set: process id -> the time (ms) its heartbeat lapses; live processes score above now. */
  nodesAlive: `${PREFIX}nodes:alive`,
  /** Sorted set: worker process id -> the time (ms) its heartbeat lapses; admission counts the live ones. */
  workersAlive: `${PREFIX}workers:alive`,
  /** Pub/sub: a task id whose running job must be aborted, on whichever process runs it. */
  cancelChannel: `${PREFIX}cancel`,
  /**
   * Pub/sub: restart requests for one worker's sidecar (ops/worker-restart), heard by that worker
   * alone; PUBLISH's receiver count says whether it listens at all.
   */
  workerRestartChannel: (workerId: string) => `${PREFIX}worker-restart:${workerId}`,
  /** Pub/sub: the workers' answers to restart requests, heard by every api process (by request id). */
  workerRestartRepliesChannel: `${PREFIX}worker-restart-replies`,
  /**
   * A restart request's claim (SET PX, its TTL a little past the asker's wait): the worker acts only
   * if its DEL removes it, the asker deletes it when it stops waiting, so a late worker restarts nothing.
   */
  workerRestartClaim: (requestId: string) => `${PREFIX}worker-restart-claim:${requestId}`,
} as const;
