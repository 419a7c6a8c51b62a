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
  /** Instant repeats (generate/repeat-registry.ts): on by default; INSTANT_REPEATS=off makes every request a job. */
  instantRepeats: boolean;
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

function onOffVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): AppConfig {
  const engine = (optional(env, 'INFERENCE_ENGINE') ?? 'auto') as InferenceEngineName;
  if (!ENGINES.includes(engine)) {
    throw new ConfigError(`INFERENCE_ENGINE must be one of ${ENGINES.join(', ')}, got "${engine}"`);
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
    instantRepeats: onOffVar(env, 'INSTANT_REPEATS', true),
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
