import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';

/** GET /api/health's `redis`: a timed PING, and whether it is full (RedisMemory). */
export class HealthRedisDto {
  @ApiProperty()
  up!: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.4,
    description: 'PING round trip (ms); null when down',
  })
  latency_ms!: number | null;
  @ApiProperty({
    description:
      'true: Redis holds 90 % or more of its maxmemory, so new uploads answer 507 store_full (running and queued tasks go on); false when it has room, no maxmemory, or is down',
  })
  full!: boolean;
  @ApiPropertyOptional({ description: 'down: why' })
  error?: string;
}

/**
 * GET /api/health's `inference`: this process's sidecar (its last health report), `down` with an
 * `error` when none could be read, or `none` in an api-only process (KILN_ROLE=api).
 */
export class HealthInferenceDto {
  @ApiProperty({
    enum: ['starting', 'loading', 'ready', 'busy', 'failed', 'down', 'restarting', 'none'],
    description: 'none: an api-only process runs no sidecar',
  })
  state!: string;
  @ApiPropertyOptional({ example: 'inflate', description: 'trellis2, inflate or simulate' })
  engine?: string;
  @ApiPropertyOptional({ example: 'cpu', description: 'e.g. cuda:0 (NVIDIA GeForce RTX 4090)' })
  device?: string;
  @ApiPropertyOptional({ example: 0 })
  vram_used_bytes?: number;
  @ApiPropertyOptional({ example: 0 })
  vram_total_bytes?: number;
  @ApiPropertyOptional({ description: 'jobs this sidecar ran' })
  jobs_done?: number;
  @ApiPropertyOptional({
    example: 'CPU projection of the picture from the view that best matches its silhouette',
    description: "how POST /api/texture's meshes are painted here, in the engine's own words",
  })
  texturing?: string;
  @ApiPropertyOptional({ description: "the sidecar's own words (why it failed, what it loads)" })
  message?: string;
  @ApiPropertyOptional({ description: 'true when this api spawned it; false with INFERENCE_URL' })
  managed?: boolean;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'its process id; null when none runs here',
  })
  pid?: number | null;
  @ApiPropertyOptional({ description: 'restarts by this api' })
  restarts?: number;
  @ApiPropertyOptional({ description: 'down: why no health report could be read' })
  error?: string;
}

/** GET /api/health's `queue`: Bull's job counts and the admission slots. */
export class HealthQueueDto {
  @ApiProperty({ example: 2 })
  waiting!: number;
  @ApiProperty({ example: 1 })
  active!: number;
  @ApiProperty({ example: 3, description: 'unfinished tasks holding a queue slot' })
  slots_held!: number;
  @ApiProperty({ example: 6, description: 'one running per live worker (at least 1) + MAX_QUEUE' })
  capacity!: number;
}

/**
 * One live worker on this Redis (its heartbeat within 10 s), as GET /api/health lists it: never
 * the task it runs (issue 19: a stranger polling the public health would find every task;
 * AdminWorkerDto, behind ADMIN_TOKEN, names it).
 */
export class HealthWorkerDto {
  @ApiProperty({ format: 'uuid', description: 'the process id on this Redis' })
  id!: string;
  @ApiProperty({ example: 'gpu-box-1' })
  host!: string;
  @ApiProperty({ example: 4242 })
  pid!: number;
  @ApiProperty({ enum: ['all', 'api', 'worker'] })
  role!: 'all' | 'api' | 'worker';
  @ApiProperty({ format: 'date-time', description: 'its latest heartbeat' })
  seen_at!: string;
  @ApiProperty({ enum: ['idle', 'busy', 'starting', 'down'] })
  state!: 'idle' | 'busy' | 'starting' | 'down';
  @ApiProperty({ example: 'trellis2' })
  engine!: string;
  @ApiProperty({ example: 'cuda' })
  device!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '1',
    description: 'its CUDA_VISIBLE_DEVICES (one GPU per worker); null when not pinned',
  })
  gpu!: string | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'the pid of its sidecar (on its host); null when it runs none (INFERENCE_URL) or none is up',
  })
  sidecar_pid!: number | null;
}

/**
 * GET /api/health's `disk`: the model folder's filesystem (STATIC_DIR) against MIN_FREE_DISK_MB
 * (storage/store-disk-space.ts). How many bytes are free is the ops console's (behind ADMIN_TOKEN).
 */
export class HealthDiskDto {
  @ApiProperty({
    enum: ['ok', 'low', 'unknown'],
    description:
      'low: under MIN_FREE_DISK_MB free, new uploads and format builds answer 507 insufficient_storage ' +
      '(running and queued tasks go on); unknown: it could not be measured (the log says why; nothing is refused for it)',
  })
  state!: 'ok' | 'low' | 'unknown';
  @ApiProperty({ example: 1073741824, description: 'MIN_FREE_DISK_MB in bytes; 0 = no check' })
  min_free_bytes!: number;
}

/** GET /api/health's body (200 ok or 503 degraded). */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded = redis or inference down/failed (503)' })
  status!: 'ok' | 'degraded';
  @ApiProperty({ type: HealthRedisDto })
  redis!: HealthRedisDto;
  @ApiProperty({ type: HealthInferenceDto })
  inference!: HealthInferenceDto;
  @ApiProperty({ type: HealthQueueDto, nullable: true, description: 'null while Redis cannot be read' })
  queue!: HealthQueueDto | null;
  @ApiProperty({ enum: ['all', 'api', 'worker'], description: "this process's KILN_ROLE" })
  role!: 'all' | 'api' | 'worker';
  @ApiProperty({
    type: HealthDiskDto,
    nullable: true,
    description:
      "the model folder's disk; null for a bucket store (STORAGE_URL s3://). A low disk does not make " +
      'the health 503: what runs goes on, and a restart would free nothing',
  })
  disk!: HealthDiskDto | null;
  @ApiProperty({
    type: [HealthWorkerDto],
    description:
      'every live worker on this Redis (heartbeat within 10 s): state idle, busy, starting or down; ' +
      'gpu is its CUDA_VISIBLE_DEVICES. No task ids (GET /api/admin/health names them)',
  })
  workers!: HealthWorkerDto[];
}

/** One live worker as GET /api/admin/health lists it: the public fields and the task it runs. */
export class AdminWorkerDto extends HealthWorkerDto {
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'busy: the task it runs' })
  task_id!: string | null;
}

/** GET /api/admin/health's body: the public health, each worker with the task it runs. */
export class AdminHealthDto extends OmitType(HealthDto, ['workers'] as const) {
  @ApiProperty({
    type: [AdminWorkerDto],
    description:
      'every live worker on this Redis (heartbeat within 10 s): state idle, busy (task_id), starting or down; ' +
      'gpu is its CUDA_VISIBLE_DEVICES',
  })
  workers!: AdminWorkerDto[];
}
