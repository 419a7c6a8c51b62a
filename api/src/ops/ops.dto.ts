import { AdminWorkerDto } from '../health/health.dto';
import { ApiProperty } from '@nestjs/swagger';

/** A worker's sidecar as the ops console shows it (WorkerRegistry's WorkerSidecarReport). */
export class OpsSidecarErrorDto {
  @ApiProperty({ example: 'sidecar exited with code 1' })
  message!: string;
  @ApiProperty({ format: 'date-time', description: 'when the worker first saw it' })
  at!: string;
}

export class OpsSidecarDto {
  @ApiProperty({
    enum: ['starting', 'loading', 'ready', 'busy', 'failed', 'down', 'restarting'],
    description: 'the sidecar state this worker knows',
  })
  state!: string;
  @ApiProperty({ description: "the sidecar's own words (what it loads, why it failed)" })
  message!: string;
  @ApiProperty({ example: 0, description: 'GPU memory in use, bytes (0 on a CPU engine)' })
  vram_used_bytes!: number;
  @ApiProperty({ example: 0, description: 'GPU memory in all, bytes (0 on a CPU engine)' })
  vram_total_bytes!: number;
  @ApiProperty({ example: 3, description: 'jobs the current sidecar process ran' })
  jobs_done!: number;
  @ApiProperty({ example: 12, description: 'jobs this worker started since it started' })
  jobs_started!: number;
  @ApiProperty({
    example: 0,
    description: 'sidecar restarts by this worker (crashes, recycles, admin restarts)',
  })
  restarts!: number;
  @ApiProperty({ description: 'true when the worker spawned it; false with INFERENCE_URL' })
  managed!: boolean;
  @ApiProperty({
    type: OpsSidecarErrorDto,
    nullable: true,
    description: 'the latest fault; null when none since start',
  })
  last_error!: OpsSidecarErrorDto | null;
}

/** One live worker as the console shows it: GET /api/admin/health's, with its start and its sidecar. */
export class OpsWorkerDto extends AdminWorkerDto {
  @ApiProperty({ format: 'date-time' })
  started_at!: string;
  @ApiProperty({
    type: OpsSidecarDto,
    nullable: true,
    description: 'null from a worker that reports none (older api)',
  })
  sidecar!: OpsSidecarDto | null;
}

/** One unfinished task (a job holding a queue slot): never its token nor its picture. */
export class OpsQueueTaskDto {
  @ApiProperty({ format: 'uuid' })
  task_id!: string;
  @ApiProperty({
    format: 'uuid',
    description:
      "the job it is part of: its own task_id, or, for an instant repeat following an unfinished job, that job's first task (one queue place and one GPU run for all of them)",
  })
  job_id!: string;
  @ApiProperty({ enum: ['queued', 'processing'] })
  status!: string;
  @ApiProperty({ example: 12.5, description: 'seconds since it was made' })
  age_s!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'queued: 1 = runs next' })
  position!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'queued: seconds until it should start' })
  eta_s!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'balanced', description: 'its quality preset' })
  quality!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'processing: 0-100' })
  progress!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'processing: the stage' })
  stage!: string | null;
}

export class OpsQueueDto {
  @ApiProperty({
    example: 6,
    description: 'slots in all: one running per live worker (at least 1) + MAX_QUEUE',
  })
  capacity!: number;
  @ApiProperty({ example: 1, description: 'jobs running (a job and the repeats following it count once)' })
  running!: number;
  @ApiProperty({ example: 2, description: 'jobs waiting' })
  waiting!: number;
  @ApiProperty({
    type: [OpsQueueTaskDto],
    description:
      "every unfinished task of the held places, a job's repeats included: running first, then the waiting ones by position",
  })
  tasks!: OpsQueueTaskDto[];
}

export class OpsFailureCountDto {
  @ApiProperty({ example: 'generation_timeout', description: 'the error_code (error table)' })
  code!: string;
  @ApiProperty({ example: 1 })
  last_hour!: number;
  @ApiProperty({ example: 4 })
  last_day!: number;
}

export class OpsDurationDto {
  @ApiProperty({ enum: ['fast', 'balanced', 'high'] })
  quality!: string;
  @ApiProperty({ description: 'seconds a job is expected to hold the GPU' })
  expected_s!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'mean of the measured jobs (s); null before one ran',
  })
  measured_s!: number | null;
  @ApiProperty({ description: 'recent jobs measured' })
  measured_jobs!: number;
  @ApiProperty({ description: 'false: its jobs do not fit JOB_TIMEOUT_S (422 unavailable_quality)' })
  offered!: boolean;
}

export class OpsDurationsDto {
  @ApiProperty({ example: 180 })
  job_timeout_s!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description: '"<engine> on <device>, limit <n> s"; null before any job',
  })
  measured_on!: string | null;
  @ApiProperty({ type: [OpsDurationDto] })
  presets!: OpsDurationDto[];
}

export class OpsStorageDto {
  @ApiProperty({ enum: ['local', 's3'], description: 'a folder (STATIC_DIR) or a bucket (STORAGE_URL)' })
  kind!: string;
  @ApiProperty({ description: 'files in the store (models and their other formats)' })
  files!: number;
  @ApiProperty({ description: 'their bytes' })
  bytes!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "free bytes of the folder's filesystem; null for a bucket",
  })
  disk_free_bytes!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "size of the folder's filesystem, bytes; null for a bucket",
  })
  disk_total_bytes!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'MIN_FREE_DISK_MB in bytes (0 = no check); null for a bucket',
  })
  disk_min_free_bytes!: number | null;
  @ApiProperty({
    description:
      "true: the folder's free bytes are under MIN_FREE_DISK_MB, so new uploads and format builds answer 507 " +
      'insufficient_storage (measured at most every 5 s); false for a bucket',
  })
  disk_low!: boolean;
  @ApiProperty({ format: 'date-time', description: 'when the files were counted (at most every 30 s)' })
  measured_at!: string;
  @ApiProperty({ example: 48, description: 'RETENTION_HOURS' })
  retention_hours!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'the next cleanup run (CLEANUP_CRON)',
  })
  next_cleanup_at!: string | null;
}

export class OpsAdmissionsDto {
  @ApiProperty({ description: 'true: new uploads answer 503 admissions_paused' })
  paused!: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'paused: since when' })
  since!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'paused: who (client address, Access email)' })
  by!: string | null;
}

/** GET /api/admin/overview: everything the ops console shows. */
export class OpsOverviewDto {
  @ApiProperty({ format: 'date-time' })
  generated_at!: string;
  @ApiProperty({ type: OpsAdmissionsDto })
  admissions!: OpsAdmissionsDto;
  @ApiProperty({ type: [OpsWorkerDto], description: 'every live worker on this Redis, oldest start first' })
  workers!: OpsWorkerDto[];
  @ApiProperty({ type: OpsQueueDto })
  queue!: OpsQueueDto;
  @ApiProperty({
    type: [OpsFailureCountDto],
    description: 'task failures by error_code, most frequent first',
  })
  failures!: OpsFailureCountDto[];
  @ApiProperty({
    type: OpsDurationsDto,
    description: 'job durations per quality on this GPU (GET /api/qualities)',
  })
  durations!: OpsDurationsDto;
  @ApiProperty({ type: OpsStorageDto, nullable: true, description: 'null while the store cannot be listed' })
  storage!: OpsStorageDto | null;
}

/** POST /api/admin/admissions/pause and /resume. */
export class OpsAdmissionsChangeDto extends OpsAdmissionsDto {
  @ApiProperty({ description: 'false: it already was so (the call is idempotent)' })
  changed!: boolean;
}

/** POST /api/admin/cleanup. */
export class OpsCleanupDto {
  @ApiProperty({ example: 4, description: 'files deleted' })
  deleted!: number;
  @ApiProperty({ example: 1048576, description: 'their bytes' })
  bytes!: number;
}
