import { createHash } from 'node:crypto';
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
  /** Bearer token GET /metrics requires; undefined = /metrics is open (keep it on the LAN). */
  metricsToken: string | undefined;
  /** Express 'trust proxy' value: 'loopback', a hop count, or a list of addresses/subnets. */
  trustProxy: string | number | boolean;
  corsOrigins: string[];
  /** Built web app served at / (index.html fallback for client routes). */
  webDir: string;
  /** Root of the Python sidecar package (inference/), holding .venv. */
  inferenceDir: string;
  /** Seconds between SSE comment heartbeats (at most 15 so proxies keep the stream open). */
  sseHeartbeatS: number;
  /** Uploads one client address may send per minute (UPLOADS_PER_MINUTE); 0 = no limit. */
  uploadsPerMinute: number;
  /** Unfinished (queued + processing) tasks one client address may hold (ACTIVE_TASKS_PER_CLIENT); 0 = no limit. */
  activeTasksPerClient: number;
  /** Access control of POST /api/generate and the task routes; undefined = off (public). */
  access: AccessConfig | undefined;
}

/** Who may generate and follow tasks (docs/design.md, Operations). At least one mode is set. */
export interface AccessConfig {
  /** SHA-256 digests (hex) of the accepted API keys (API_KEYS); empty = API keys off. */
  apiKeySha256: string[];
  /** Cloudflare Access (CF_ACCESS_TEAM_DOMAIN + CF_ACCESS_AUD); undefined = off. */
  cloudflare: CloudflareAccessConfig | undefined;
}

export interface CloudflareAccessConfig {
  /** The token's `iss`: https://<team>.cloudflareaccess.com. */
  issuer: string;
  /** Accepted `aud` values: the Access application's audience (AUD) tags. */
  audiences: string[];
  /** Where the team's signing keys are (JWKS): <issuer>/cdn-cgi/access/certs unless CF_ACCESS_CERTS_URL. */
  certsUrl: string;
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

/** Shortest plain API key accepted: a guessable key would make access control decorative. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * API_KEYS: comma-separated keys, each either the key itself (at least MIN_API_KEY_LENGTH
 * characters) or `sha256:<64 hex digits>`, the digest of the key (so the environment need not
 * hold the secret: `printf %s "$KEY" | sha256sum`). Returns the digests, hex.
 */
function apiKeysVar(env: NodeJS.ProcessEnv): string[] {
  const entries = (optional(env, 'API_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return entries.map((entry) => {
    const hashed = /^sha256:(.*)$/i.exec(entry);
    if (hashed !== null) {
      if (!/^[0-9a-f]{64}$/i.test(hashed[1])) {
        throw new ConfigError(
          'API_KEYS: a sha256: entry must be 64 hex digits (printf %s "$KEY" | sha256sum)',
        );
      }
      return hashed[1].toLowerCase();
    }
    if (entry.length < MIN_API_KEY_LENGTH || /\s/.test(entry)) {
      // The key itself never goes into the message (it would land in a log).
      throw new ConfigError(
        `API_KEYS: each key must be at least ${MIN_API_KEY_LENGTH} characters with no spaces`,
      );
    }
    return createHash('sha256').update(entry).digest('hex');
  });
}

/**
 * CF_ACCESS_TEAM_DOMAIN (e.g. `myteam.cloudflareaccess.com`, with or without https://) and
 * CF_ACCESS_AUD (the application's audience tag; several comma-separated) come together.
 * Cloudflare's documentation: the issuer is https://<team>.cloudflareaccess.com and its
 * signing keys are at /cdn-cgi/access/certs (developers.cloudflare.com, Access, "Validate JWTs").
 */
function cloudflareAccessVar(env: NodeJS.ProcessEnv): CloudflareAccessConfig | undefined {
  const team = optional(env, 'CF_ACCESS_TEAM_DOMAIN');
  const audiences = (optional(env, 'CF_ACCESS_AUD') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  if (team === undefined && audiences.length === 0) {
    if (optional(env, 'CF_ACCESS_CERTS_URL') !== undefined) {
      throw new ConfigError('CF_ACCESS_CERTS_URL needs CF_ACCESS_TEAM_DOMAIN and CF_ACCESS_AUD');
    }
    return undefined;
  }
  if (team === undefined) {
    throw new ConfigError('CF_ACCESS_AUD needs CF_ACCESS_TEAM_DOMAIN (<team>.cloudflareaccess.com)');
  }
  if (audiences.length === 0) {
    throw new ConfigError(
      "CF_ACCESS_TEAM_DOMAIN needs CF_ACCESS_AUD (the Access application's audience tag)",
    );
  }
  const host = team.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(host)) {
    throw new ConfigError(
      `CF_ACCESS_TEAM_DOMAIN must be a host name like myteam.cloudflareaccess.com, got "${team}"`,
    );
  }
  const issuer = `https://${host.toLowerCase()}`;
  return {
    issuer,
    audiences,
    certsUrl: urlVar(env, 'CF_ACCESS_CERTS_URL', ['https:', 'http:']) ?? `${issuer}/cdn-cgi/access/certs`,
  };
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
    metricsToken: optional(env, 'METRICS_TOKEN'),
    trustProxy: trustProxyVar(env.TRUST_PROXY),
    corsOrigins: (optional(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
    webDir: resolve(optional(env, 'WEB_DIR') ?? 'dist/web/browser'),
    inferenceDir: resolve(optional(env, 'INFERENCE_DIR') ?? 'inference'),
    sseHeartbeatS: numberVar(env, 'SSE_HEARTBEAT_S', 15, 0.05, 15),
    uploadsPerMinute: intVar(env, 'UPLOADS_PER_MINUTE', 30, 0, 100_000),
    activeTasksPerClient: intVar(env, 'ACTIVE_TASKS_PER_CLIENT', 6, 0, 100_000),
    access: accessVar(env),
  };
}

function accessVar(env: NodeJS.ProcessEnv): AccessConfig | undefined {
  const apiKeySha256 = apiKeysVar(env);
  const cloudflare = cloudflareAccessVar(env);
  return apiKeySha256.length === 0 && cloudflare === undefined ? undefined : { apiKeySha256, cloudflare };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
