import { validateCronExpression } from 'cron';

/**
 * Typed configuration, read once from the environment at boot (docs/design.md, Operations).
 * A bad value stops the start with a message naming the variable.
 */
export type InferenceEngineName = 'auto' | 'trellis2' | 'inflate' | 'simulate';

export interface AppConfig {
  port: number;
  /** e.g. https://api.example.com (no trailing slash); undefined = derive from the request. */
  publicBaseUrl: string | undefined;
  redisUrl: string;
  inferenceEngine: InferenceEngineName;
  simulateSeconds: number;
  /** A sidecar already running elsewhere (host:port or unix:///path); undefined = spawn one. */
  inferenceUrl: string | undefined;
  maxQueue: number;
  jobTimeoutS: number;
  /** How long a (re)started sidecar may take to load its engine and warm up before it is replaced. */
  inferenceReadyTimeoutS: number;
  maxUploadMb: number;
  retentionHours: number;
  cleanupCron: string;
  staticDir: string;
  logDir: string;
  modelsDir: string;
  adminToken: string | undefined;
  /** Express 'trust proxy' value: 'loopback', a hop count, or a list of addresses/subnets. */
  trustProxy: string | number | boolean;
  corsOrigins: string[];
  /** Built web app served at / (index.html fallback for client routes). */
  webDir: string;
  /** Root of the Python sidecar package (inference/), holding .venv. */
  inferenceDir: string;
  /** Seconds between SSE comment heartbeats (at most 15 so proxies keep the stream open). */
  sseHeartbeatS: number;
  /** KILN_ROLE: `all` (HTTP api and a GPU worker, the default), `api` (HTTP only) or `worker` (jobs only, no HTTP). */
  role: ProcessRole;
  /**
   * KILN_GPUS: device ids (e.g. "0,1" or GPU UUIDs) for one worker per GPU on this machine, each
   * with its own sidecar pinned by CUDA_VISIBLE_DEVICES; empty = one worker, devices as the environment says.
   */
  gpus: string[];
  /** Where models live (STORAGE_URL): the STATIC_DIR folder, or an S3-compatible bucket. */
  storage: StorageTarget;
}

/**
 * STORAGE_URL parsed: unset or `file:` = the STATIC_DIR folder (one machine); `s3://bucket/prefix`
 * = an S3-compatible bucket (several machines), with STORAGE_PUBLIC_URL, when set, the bucket's
 * public address that model URLs name instead of /static/.
 */
export type ProcessRole = 'all' | 'api' | 'worker';
const ROLES: readonly ProcessRole[] = ['all', 'api', 'worker'];

/** True when this process runs jobs (a Bull worker with its own sidecar). */
export function runsJobs(config: Pick<AppConfig, 'role'>): boolean {
  return config.role !== 'api';
}

/** True when this process answers HTTP. */
export function servesHttp(config: Pick<AppConfig, 'role'>): boolean {
  return config.role !== 'worker';
}

/** A CUDA device as CUDA_VISIBLE_DEVICES names one: an index, or a GPU/MIG UUID. */
const GPU_ID = /^(?:\d{1,3}|(?:GPU|MIG)-[0-9A-Za-z-]{1,80})$/;

function gpusVar(env: NodeJS.ProcessEnv, role: ProcessRole): string[] {
  const raw = optional(env, 'KILN_GPUS');
  if (raw === undefined) return [];
  const gpus = raw.split(',').map((gpu) => gpu.trim());
  if (gpus.some((gpu) => !GPU_ID.test(gpu)) || new Set(gpus).size !== gpus.length) {
    throw new ConfigError(`KILN_GPUS must list distinct CUDA device ids, e.g. "0,1", got "${raw}"`);
  }
  if (role === 'api')
    throw new ConfigError('KILN_GPUS needs KILN_ROLE all or worker (an api-only process runs no jobs)');
  return gpus;
}

export type StorageTarget =
  { kind: 'local' } | { kind: 's3'; bucket: string; prefix: string; publicUrl: string | undefined };

/** Bucket names as S3 and R2 accept them (3-63 of a-z 0-9 . -, starting and ending alnum). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function storageVar(env: NodeJS.ProcessEnv): StorageTarget {
  const raw = optional(env, 'STORAGE_URL');
  const publicUrl = urlVar(env, 'STORAGE_PUBLIC_URL', ['http:', 'https:']);
  if (raw === undefined || raw === 'file:' || raw === 'file://') {
    if (publicUrl !== undefined) {
      throw new ConfigError('STORAGE_PUBLIC_URL needs an object store: set STORAGE_URL=s3://bucket/prefix');
    }
    return { kind: 'local' };
  }
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (!match || !BUCKET.test(match[1])) {
    throw new ConfigError(
      `STORAGE_URL must be file: (the STATIC_DIR folder) or s3://bucket/prefix, got "${raw}"`,
    );
  }
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { kind: 's3', bucket: match[1], prefix: path === '' ? '' : `${path}/`, publicUrl };
}

export class ConfigError extends Error {}

const ENGINES: readonly InferenceEngineName[] = ['auto', 'trellis2', 'inflate', 'simulate'];

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function numberVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function urlVar(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')}), got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function trustProxyVar(raw: string | undefined): string | number | boolean {
  if (raw === undefined || raw.trim() === '') return 'loopback';
  const value = raw.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): AppConfig {
  const engine = (optional(env, 'INFERENCE_ENGINE') ?? 'auto') as InferenceEngineName;
  if (!ENGINES.includes(engine)) {
    throw new ConfigError(`INFERENCE_ENGINE must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  }
  const role = (optional(env, 'KILN_ROLE') ?? 'all') as ProcessRole;
  if (!ROLES.includes(role)) {
    throw new ConfigError(`KILN_ROLE must be one of ${ROLES.join(', ')}, got "${role}"`);
  }
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']) ?? 'redis://127.0.0.1:6379';
  const cleanupCron = optional(env, 'CLEANUP_CRON') ?? '0 3 * * *';
  const fields = cleanupCron.split(/\s+/).length;
  if (fields < 5 || fields > 6 || !validateCronExpression(cleanupCron).valid) {
    throw new ConfigError(`CLEANUP_CRON must be a cron expression of 5 or 6 fields, got "${cleanupCron}"`);
  }
  const resolve = (p: string): string => (p.startsWith('/') ? p : `${root}/${p}`);
  return {
    port: intVar(env, 'PORT', 8000, 0, 65535),
    publicBaseUrl: urlVar(env, 'PUBLIC_BASE_URL', ['http:', 'https:']),
    redisUrl,
    inferenceEngine: engine,
    simulateSeconds: numberVar(env, 'SIMULATE_SECONDS', 30, 0, 3600),
    inferenceUrl: optional(env, 'INFERENCE_URL'),
    maxQueue: intVar(env, 'MAX_QUEUE', 5, 0, 1000),
    jobTimeoutS: numberVar(env, 'JOB_TIMEOUT_S', 180, 1, 86400),
    inferenceReadyTimeoutS: numberVar(env, 'INFERENCE_READY_TIMEOUT_S', 1200, 10, 86400),
    maxUploadMb: numberVar(env, 'MAX_UPLOAD_MB', 10, 0.001, 1024),
    retentionHours: numberVar(env, 'RETENTION_HOURS', 48, 0.001, 24 * 365),
    cleanupCron,
    staticDir: resolve(optional(env, 'STATIC_DIR') ?? 'static'),
    logDir: resolve(optional(env, 'LOG_DIR') ?? 'logs'),
    modelsDir: resolve(optional(env, 'MODELS_DIR') ?? 'models'),
    adminToken: optional(env, 'ADMIN_TOKEN'),
    trustProxy: trustProxyVar(env.TRUST_PROXY),
    corsOrigins: (optional(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
    webDir: resolve(optional(env, 'WEB_DIR') ?? 'dist/web/browser'),
    inferenceDir: resolve(optional(env, 'INFERENCE_DIR') ?? 'inference'),
    sseHeartbeatS: numberVar(env, 'SSE_HEARTBEAT_S', 15, 0.05, 15),
    role,
    gpus: gpusVar(env, role),
    storage: storageVar(env),
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
