import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { validateCronExpression } from 'cron';
import { Webhook } from 'standardwebhooks';
import { OutboundUrlRefusal, checkOutboundUrl } from '../outbound/outbound-url-policy';
import { isLoopbackAddress } from './loopback';

/**
 * Typed configuration, read once from the environment at boot (docs/design.md, Operations).
 * A bad value stops the start with a message naming the variable.
 */
export type InferenceEngineName = 'auto' | 'trellis2' | 'inflate' | 'simulate';

export interface AppConfig {
  /**
   * HOST: the address the HTTP server listens on (an IP address of this machine, or `localhost`);
   * undefined = every interface (Node's default: `::`, dual-stack, else 0.0.0.0), as `npm start`
   * on a LAN expects. The systemd unit sets 127.0.0.1: only cloudflared (and the machine) reach it.
   */
  host: string | undefined;
  port: number;
  /** e.g. https://api.example.com (no trailing slash); undefined = derive from the request. */
  publicBaseUrl: string | undefined;
  redisUrl: string;
  inferenceEngine: InferenceEngineName;
  simulateSeconds: number;
  /** A sidecar already running elsewhere (host:port or unix:///path); undefined = spawn one. */
  inferenceUrl: string | undefined;
  /**
   * INFERENCE_TOKEN: the secret sent to the sidecar on every call (its KILN_INFERENCE_TOKEN; a
   * spawned sidecar is given it); undefined = none (a spawned sidecar on its private socket needs none).
   */
  inferenceToken: string | undefined;
  maxQueue: number;
  jobTimeoutS: number;
  /** How long a (re)started sidecar may take to load its engine and warm up before it is replaced. */
  inferenceReadyTimeoutS: number;
  maxUploadMb: number;
  /** MAX_MESH_MB: the most a mesh sent to POST /api/texture may weigh (the picture beside it: MAX_UPLOAD_MB). */
  maxMeshMb: number;
  /** TEXTURE_MAX_FACES: the most triangles a mesh to texture may have (a quad counts as two). */
  textureMaxFaces: number;
  /** MESH_INTAKE_TIMEOUT_S in ms: the most the mesh intake tool may take for one mesh before it is killed. */
  meshIntakeTimeoutMs: number;
  /** MESH_INTAKES: meshes this process reads at once (each one intake tool process, one CPU core). */
  meshIntakes: number;
  /** MESH_INTAKE_WAIT_S in ms: the most a mesh waits for an intake slot before 503 meshes_busy. */
  meshIntakeWaitMs: number;
  retentionHours: number;
  cleanupCron: string;
  staticDir: string;
  /**
   * MIN_FREE_DISK_MB, in bytes: free space the model folder's filesystem (STATIC_DIR; a folder
   * store only) must keep; below it new uploads and format builds answer 507 insufficient_storage
   * (storage/store-disk-space.ts). 0 = no check.
   */
  minFreeDiskBytes: number;
  logDir: string;
  modelsDir: string;
  adminToken: string | undefined;
  /**
   * Bearer token GET /metrics requires; undefined = /metrics answers loopback peers only (a
   * request's socket address, never a forwarded one: metrics/metrics-token.guard.ts).
   */
  metricsToken: string | undefined;
  /**
   * TRUST_PROXY: the proxies whose forwarding headers (CF-Connecting-IP, X-Forwarded-For, -Proto,
   * -Host) are believed, as Express's 'trust proxy' list: IP addresses, CIDR subnets and the names
   * `loopback`, `linklocal`, `uniquelocal`; empty = none (TRUST_PROXY=false). Never `true` or a hop
   * count: those believe whoever connects (trustProxyVar).
   */
  trustProxy: string[];
  /**
   * CORS_ORIGINS: origins (scheme://host[:port]) whose pages may call the API routes; empty = the
   * API stays same-origin. The models under /static/ answer every origin whatever this says.
   */
  corsOrigins: string[];
  /** Built web app served at / (index.html fallback for client routes). */
  webDir: string;
  /** Root of the Python sidecar package (inference/), holding .venv. */
  inferenceDir: string;
  /** Seconds between SSE comment heartbeats (at most 15 so proxies keep the stream open). */
  sseHeartbeatS: number;
  /** Uploads one client address may send per minute (UPLOADS_PER_MINUTE); 0 = no limit. */
  uploadsPerMinute: number;
  /**
   * Unfinished (queued + processing) tasks one client may hold (ACTIVE_TASKS_PER_CLIENT); 0 = no
   * limit; undefined (unset, the default) = half the live capacity, rounded down, at least 1
   * (tasks/admission/admission.lua.ts works it out where the capacity is known: MAX_QUEUE + one
   * per live worker), so one address never holds the whole queue however many GPUs there are.
   */
  activeTasksPerClient: number | undefined;
  /**
   * Reads and cancels one client may send per minute (READS_PER_MINUTE, limits/read-rate.service.ts):
   * GET /api/tasks/{id}, GET /api/tasks/{id}/preview, GET /api/status/{id} (opening a stream) and
   * DELETE /api/tasks/{id}; 0 = no limit. /static/ (models) is not counted.
   */
  readsPerMinute: number;
  /** Event streams (GET /api/status/{id}) one client may hold open on this process (SSE_STREAMS_PER_CLIENT); 0 = no limit. */
  sseStreamsPerClient: number;
  /** Event streams this process holds open in all (SSE_STREAMS_TOTAL); 0 = no limit. */
  sseStreamsTotal: number;
  /** HEADERS_TIMEOUT_S in ms: the most a client may take to send a request's headers (Node's headersTimeout). */
  headersTimeoutMs: number;
  /**
   * REQUEST_TIMEOUT_S in ms: the most a client may take to send a whole request, body included
   * (Node's requestTimeout); the answer's own length is not bounded by it (event streams, ?wait=true).
   */
  requestTimeoutMs: number;
  /** MAX_CONNECTIONS: open sockets the HTTP server accepts at once; beyond it Node closes new ones at once. 0 = no limit. */
  maxConnections: number;
  /**
   * MAX_CONNECTIONS_PER_CLIENT: open sockets one peer address (an IPv6 /64) may hold; beyond it
   * each new one is closed at once. Trusted proxies (TRUST_PROXY) are not counted: their sockets
   * carry everyone's requests. 0 = no limit.
   */
  maxConnectionsPerClient: number;
  /**
   * DECODE_BUDGET_MP: megapixels (stored size, width x height / 1e6) this process decodes at once
   * (tasks/intake/decode-gate.ts); a picture over the budget alone decodes while nothing else does.
   */
  decodeBudgetMp: number;
  /** DECODE_WAIT_S in ms: the most an upload waits for the decode budget before 503 decode_busy. */
  decodeWaitMs: number;
  /**
   * FORMAT_TIMEOUT_S in ms: the most the formats tool may take for one file (obj, stl, 3mf, ply,
   * usdz) before it is killed and the format marked failed (formats/format-converter.ts).
   */
  formatTimeoutMs: number;
  /**
   * FORMAT_WAIT_S in ms: how long a download waits for its file to be made before it answers 202
   * with Retry-After (at most 90 s: Cloudflare answers 524 to a request with no answer for 100 s).
   */
  formatWaitMs: number;
  /** FORMAT_BUILDS: files this process makes at once (each one formats tool process, one CPU core). */
  formatBuilds: number;
  /** FORMAT_QUEUE: files this process holds waiting for a build slot; beyond it 503 formats_busy. */
  formatQueue: number;
  /** Access control of POST /api/generate and the task routes; undefined = off (public). */
  access: AccessConfig | undefined;
  /**
   * True (default): a model's web optimisation runs after its GPU job, while the next job uses
   * the GPU; false: inside the GPU job (the old path, kept as the benchmark's baseline).
   */
  webModelOverlap: boolean;
  /** KILN_ROLE: `all` (HTTP api and a GPU worker, the default), `api` (HTTP only) or `worker` (jobs only, no HTTP). */
  role: ProcessRole;
  /**
   * KILN_GPUS: device ids (e.g. "0,1" or GPU UUIDs) for one worker per GPU on this machine, each
   * with its own sidecar pinned by CUDA_VISIBLE_DEVICES; empty = one worker, devices as the environment says.
   */
  gpus: string[];
  /** Where models live (STORAGE_URL): the STATIC_DIR folder, or an S3-compatible bucket. */
  storage: StorageTarget;
  /** Instant repeats (tasks/repeats/repeat-registry.ts): on by default; INSTANT_REPEATS=off makes every request a job. */
  instantRepeats: boolean;
  /**
   * LOG_MAX_MB, in bytes: the most the log files together may hold (common/logging/winston-logger.ts):
   * each file rotates at a tenth of it, and the oldest go past it (besides the 7 days' age limit).
   */
  logMaxBytes: number;
  /**
   * Signed webhooks (docs/design.md, Operations: webhooks); undefined = off (no WEBHOOK_SECRET):
   * no owner-wide deliveries, and a `callback_url` on POST /api/generate answers 400.
   */
  webhooks: WebhookConfig | undefined;
}

/** Which task changes are delivered: `final` (completed, failed) or `all` (each status change too). */
export type WebhookEvents = 'final' | 'all';

/** The webhooks' settings (WEBHOOK_*), present only when WEBHOOK_SECRET is set. */
export interface WebhookConfig {
  /**
   * WEBHOOK_SECRET: the Standard Webhooks signing key, `whsec_` + base64 of 24 to 64 random bytes
   * (the spec's sizes); standardwebhooks signs with it (webhooks/webhook-sender.ts). Never logged.
   */
  secret: string;
  /** WEBHOOK_URL: the owner's receiver of every task's events; undefined = callback_url only. */
  ownerUrl: string | undefined;
  /** WEBHOOK_EVENTS: `final` (default) or `all`. */
  events: WebhookEvents;
  /**
   * WEBHOOK_ALLOW_PRIVATE: true lets deliveries reach loopback, private, link-local and other
   * non-public addresses and use plain http (a LAN receiver); false (default): https to public
   * addresses only, checked on every connection (outbound/outbound-url-policy.ts).
   */
  allowPrivate: boolean;
  /** WEBHOOK_RETRY_FOR_S: no attempt of a delivery starts later than this after its first (s). */
  retryForS: number;
  /** WEBHOOK_TIMEOUT_S in ms: one attempt, redirects included, from connect to the answer's headers. */
  timeoutMs: number;
  /**
   * WEBHOOK_PENDING_PER_CLIENT: unfinished deliveries to callback_urls one client (common/
   * client-address limitKey) may have at once, across processes; beyond it a delivery is dropped
   * and recorded so (webhooks/webhook-store.ts). 0 = no limit. The owner's WEBHOOK_URL is not counted.
   */
  pendingPerClient: number;
  /**
   * WEBHOOK_IN_FLIGHT_PER_CLIENT: attempts to callback_urls one client (limitKey) may have in flight
   * at once, across processes, its IPv6 /48 site SITE_SHARE times that; another of its deliveries
   * waits its turn outside the workers (webhooks/webhook-delivery.processor.ts), so one stranger's
   * slow receiver cannot hold every callback worker. 0 = no limit.
   */
  inFlightPerClient: number;
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
  /**
   * Where the team's signing keys are (JWKS, https only: whoever can answer this fetch chooses
   * which tokens pass): <issuer>/cdn-cgi/access/certs unless CF_ACCESS_CERTS_URL.
   */
  certsUrl: string;
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
    throw new ConfigError(`KILN_GPUS must list distinct CUDA device ids, e.g. "0,1", got "${shown(raw)}"`);
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
      `STORAGE_URL must be file: (the STATIC_DIR folder) or s3://bucket/prefix, got "${shown(raw)}"`,
    );
  }
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { kind: 's3', bucket: match[1], prefix: path === '' ? '' : `${path}/`, publicUrl };
}

export class ConfigError extends Error {}

/**
 * A refused value as a message may quote it: a URL's credentials (`user:password@`) and query
 * cut out, at most 80 characters. Messages go to stderr and the journal, which more people read
 * than the environment file; secret variables (API_KEYS, the tokens) are never quoted at all.
 * e.g. "redis://:hunter2@redis:6379/x" -> "redis://***@redis:6379/x".
 */
export function shown(raw: string): string {
  const redacted = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, '$1***@').replace(/\?.*$/s, '?***');
  return redacted.length > 80 ? `${redacted.slice(0, 80)}...` : redacted;
}

const ENGINES: readonly InferenceEngineName[] = ['auto', 'trellis2', 'inflate', 'simulate'];

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${shown(raw)}"`);
  }
  return value;
}

/** An integer setting with no fixed default: undefined when unset (the caller's default is computed elsewhere). */
function optionalIntVar(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return intVar(env, name, 0, min, max);
}

function numberVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${shown(raw)}"`);
  }
  return value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (raw === 'true' || raw === '1' || raw === 'on') return true;
  if (raw === 'false' || raw === '0' || raw === 'off') return false;
  throw new ConfigError(`${name} must be true or false (or on/off), got "${shown(raw)}"`);
}

function urlVar(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')}), got "${shown(raw)}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${shown(raw)}"`);
  }
  return raw.replace(/\/+$/, '');
}

/** The names Express's 'trust proxy' (proxy-addr) knows, each a fixed set of subnets. */
const TRUST_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

/** An IP address, or one with a /prefix length of its family (10.0.0.0/8, fd00::/8). */
function isAddressOrSubnet(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** True for a TRUST_PROXY entry that can only ever match a loopback peer (this machine). */
export function isLoopbackEntry(entry: string): boolean {
  if (entry === 'loopback') return true;
  const [address, prefix] = entry.split('/');
  if (!isLoopbackAddress(address)) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  if (isIP(address) === 4) return bits >= 8;
  return /ffff:/i.test(address) ? bits >= 104 : bits === 128;
}

/**
 * TRUST_PROXY: a comma-separated list of the proxies in front of the api (addresses, CIDR
 * subnets, `loopback`, `linklocal`, `uniquelocal`); `false` (or `none`) trusts none; default
 * `loopback` (cloudflared or nginx on this machine). `true` and hop counts are refused: Express
 * then believes the forwarding headers of whoever connects (a hop count trusts the peer itself,
 * whatever its address), so any client could pick its own CF-Connecting-IP and escape the
 * per-client limits, or its own X-Forwarded-Host and Proto.
 */
function trustProxyVar(env: NodeJS.ProcessEnv): string[] {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined) return ['loopback'];
  if (raw === 'false' || raw === 'none') return [];
  if (raw === 'true' || /^\d+$/.test(raw)) {
    throw new ConfigError(
      `TRUST_PROXY must list the proxies' addresses (e.g. 127.0.0.1, 172.31.87.10 or 10.0.0.0/24) or be false, got "${shown(raw)}": ` +
        'true or a hop count would believe forwarding headers from anyone who connects',
    );
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  for (const entry of entries) {
    if (!(TRUST_NAMES as readonly string[]).includes(entry) && !isAddressOrSubnet(entry)) {
      throw new ConfigError(
        `TRUST_PROXY must be a comma-separated list of IP addresses, CIDR subnets or ${TRUST_NAMES.join(', ')} (or false), got "${shown(entry)}"`,
      );
    }
  }
  return entries;
}

/**
 * HOST: an IP address of this machine (0.0.0.0 or :: for every interface) or `localhost`.
 * A host name is refused rather than resolved: some shells export HOST as the machine's name,
 * which would quietly move the listener to whichever address that name resolves to.
 */
function hostVar(env: NodeJS.ProcessEnv): string | undefined {
  const host = optional(env, 'HOST');
  if (host === undefined || host === 'localhost' || isIP(host) !== 0) return host;
  throw new ConfigError(
    `HOST must be an IP address of this machine (127.0.0.1, 192.168.1.20, 0.0.0.0 or ::) or localhost, got "${shown(host)}"`,
  );
}

/** CORS_ORIGINS: comma-separated origins, each exactly scheme://host[:port] (http or https). */
function corsOriginsVar(env: NodeJS.ProcessEnv): string[] {
  const origins = (optional(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin.length > 0);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must list origins like https://app.example.com (scheme, host, optional port; no path, no *), got "${shown(origin)}"`,
      );
    }
  }
  return origins;
}

/**
 * A trusted proxy beyond loopback (another container, a LAN reverse proxy) needs PUBLIC_BASE_URL:
 * its X-Forwarded-Host and -Proto would otherwise choose the host and scheme of every URL handed
 * out, and such a proxy (cloudflared included) may pass on whatever a visitor sent.
 */
function checkProxyBaseUrl(trustProxy: readonly string[], publicBaseUrl: string | undefined): void {
  const beyond = trustProxy.find((entry) => !isLoopbackEntry(entry));
  if (beyond !== undefined && publicBaseUrl === undefined) {
    throw new ConfigError(
      `PUBLIC_BASE_URL is required when TRUST_PROXY trusts a proxy beyond loopback ("${beyond}"): ` +
        'set PUBLIC_BASE_URL=https://your.host (the URL visitors use), or trust loopback only',
    );
  }
}

/**
 * Shortest shared secret accepted (a plain API key, INFERENCE_TOKEN; the sidecar's
 * KILN_INFERENCE_TOKEN checks the same in inference/kiln3d_inference/settings.py): a guessable one
 * would make the check decorative.
 */
export const MIN_SECRET_LENGTH = 16;

/** A secret long enough (MIN_SECRET_LENGTH) and without whitespace (it travels in a header). */
function isUsableSecret(secret: string): boolean {
  return secret.length >= MIN_SECRET_LENGTH && !/\s/.test(secret);
}

/**
 * API_KEYS: comma-separated keys, each either the key itself (at least MIN_SECRET_LENGTH
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
    if (!isUsableSecret(entry)) {
      // The key itself never goes into the message (it would land in a log).
      throw new ConfigError(
        `API_KEYS: each key must be at least ${MIN_SECRET_LENGTH} characters with no spaces`,
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
      `CF_ACCESS_TEAM_DOMAIN must be a host name like myteam.cloudflareaccess.com, got "${shown(team)}"`,
    );
  }
  const issuer = `https://${host.toLowerCase()}`;
  return {
    issuer,
    audiences,
    // https only: a key set fetched over http could be swapped on the way, and with it every token.
    certsUrl: urlVar(env, 'CF_ACCESS_CERTS_URL', ['https:']) ?? `${issuer}/cdn-cgi/access/certs`,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): AppConfig {
  const engine = (optional(env, 'INFERENCE_ENGINE') ?? 'auto') as InferenceEngineName;
  if (!ENGINES.includes(engine)) {
    throw new ConfigError(`INFERENCE_ENGINE must be one of ${ENGINES.join(', ')}, got "${shown(engine)}"`);
  }
  const role = (optional(env, 'KILN_ROLE') ?? 'all') as ProcessRole;
  if (!ROLES.includes(role)) {
    throw new ConfigError(`KILN_ROLE must be one of ${ROLES.join(', ')}, got "${shown(role)}"`);
  }
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']) ?? 'redis://127.0.0.1:6379';
  // ioredis reads the path as the database and takes anything else as 0.
  if (!/^\/?(\d{1,5})?$/.test(new URL(redisUrl).pathname)) {
    throw new ConfigError(
      `REDIS_URL's path must be a database number (redis://127.0.0.1:6379/2), got "${shown(redisUrl)}"`,
    );
  }
  const cleanupCron = optional(env, 'CLEANUP_CRON') ?? '0 3 * * *';
  const fields = cleanupCron.split(/\s+/).length;
  if (fields < 5 || fields > 6 || !validateCronExpression(cleanupCron).valid) {
    throw new ConfigError(
      `CLEANUP_CRON must be a cron expression of 5 or 6 fields, got "${shown(cleanupCron)}"`,
    );
  }
  const resolve = (p: string): string => (p.startsWith('/') ? p : `${root}/${p}`);
  const publicBaseUrl = urlVar(env, 'PUBLIC_BASE_URL', ['http:', 'https:']);
  // The web app and the api live at the host's root (`<base href="/">`, /api/…): no sub-path.
  if (publicBaseUrl !== undefined && !['', '/'].includes(new URL(publicBaseUrl).pathname)) {
    throw new ConfigError(
      `PUBLIC_BASE_URL must be an origin without a path (Kiln3D is served at the host's root), got "${shown(env.PUBLIC_BASE_URL ?? publicBaseUrl)}"`,
    );
  }
  const trustProxy = trustProxyVar(env);
  checkProxyBaseUrl(trustProxy, publicBaseUrl);
  checkTimeouts(env);
  return {
    host: hostVar(env),
    port: intVar(env, 'PORT', 8000, 0, 65535),
    publicBaseUrl,
    redisUrl,
    inferenceEngine: engine,
    simulateSeconds: numberVar(env, 'SIMULATE_SECONDS', 30, 0, 3600),
    inferenceUrl: inferenceUrlVar(env),
    inferenceToken: inferenceTokenVar(env),
    maxQueue: intVar(env, 'MAX_QUEUE', 5, 0, 1000),
    jobTimeoutS: numberVar(env, 'JOB_TIMEOUT_S', 180, 1, 86400),
    inferenceReadyTimeoutS: numberVar(env, 'INFERENCE_READY_TIMEOUT_S', 1200, 10, 86400),
    maxUploadMb: numberVar(env, 'MAX_UPLOAD_MB', 10, 0.001, 1024),
    maxMeshMb: numberVar(env, 'MAX_MESH_MB', 50, 0.001, 1024),
    textureMaxFaces: intVar(env, 'TEXTURE_MAX_FACES', 200_000, 1, 10_000_000),
    meshIntakeTimeoutMs: Math.round(numberVar(env, 'MESH_INTAKE_TIMEOUT_S', 60, 1, 3600) * 1000),
    meshIntakes: intVar(env, 'MESH_INTAKES', 1, 1, 64),
    meshIntakeWaitMs: Math.round(numberVar(env, 'MESH_INTAKE_WAIT_S', 20, 0, 90) * 1000),
    retentionHours: numberVar(env, 'RETENTION_HOURS', 48, 0.001, 24 * 365),
    cleanupCron,
    staticDir: resolve(optional(env, 'STATIC_DIR') ?? 'static'),
    minFreeDiskBytes: Math.round(numberVar(env, 'MIN_FREE_DISK_MB', 1024, 0, 1_000_000_000) * 1024 * 1024),
    logDir: resolve(optional(env, 'LOG_DIR') ?? 'logs'),
    modelsDir: resolve(optional(env, 'MODELS_DIR') ?? 'models'),
    adminToken: tokenVar(env, 'ADMIN_TOKEN'),
    metricsToken: tokenVar(env, 'METRICS_TOKEN'),
    trustProxy,
    corsOrigins: corsOriginsVar(env),
    webDir: resolve(optional(env, 'WEB_DIR') ?? 'dist/web/browser'),
    inferenceDir: resolve(optional(env, 'INFERENCE_DIR') ?? 'inference'),
    sseHeartbeatS: numberVar(env, 'SSE_HEARTBEAT_S', 15, 0.05, 15),
    uploadsPerMinute: intVar(env, 'UPLOADS_PER_MINUTE', 30, 0, 100_000),
    activeTasksPerClient: optionalIntVar(env, 'ACTIVE_TASKS_PER_CLIENT', 0, 100_000),
    readsPerMinute: intVar(env, 'READS_PER_MINUTE', 600, 0, 1_000_000),
    sseStreamsPerClient: intVar(env, 'SSE_STREAMS_PER_CLIENT', 16, 0, 1_000_000),
    sseStreamsTotal: intVar(env, 'SSE_STREAMS_TOTAL', 2000, 0, 1_000_000),
    headersTimeoutMs: Math.round(numberVar(env, 'HEADERS_TIMEOUT_S', 20, 0.1, 3600) * 1000),
    requestTimeoutMs: Math.round(numberVar(env, 'REQUEST_TIMEOUT_S', 120, 0.1, 3600) * 1000),
    maxConnections: intVar(env, 'MAX_CONNECTIONS', 4000, 0, 1_000_000),
    maxConnectionsPerClient: intVar(env, 'MAX_CONNECTIONS_PER_CLIENT', 64, 0, 1_000_000),
    decodeBudgetMp: numberVar(env, 'DECODE_BUDGET_MP', 100, 1, 100_000),
    decodeWaitMs: Math.round(numberVar(env, 'DECODE_WAIT_S', 10, 0, 600) * 1000),
    formatTimeoutMs: Math.round(numberVar(env, 'FORMAT_TIMEOUT_S', 300, 1, 86400) * 1000),
    formatWaitMs: Math.round(numberVar(env, 'FORMAT_WAIT_S', 20, 0, 90) * 1000),
    formatBuilds: intVar(env, 'FORMAT_BUILDS', 1, 1, 64),
    formatQueue: intVar(env, 'FORMAT_QUEUE', 8, 0, 1000),
    access: accessVar(env),
    webModelOverlap: boolVar(env, 'WEB_MODEL_OVERLAP', true),
    role,
    gpus: gpusVar(env, role),
    storage: storageVar(env),
    instantRepeats: boolVar(env, 'INSTANT_REPEATS', true),
    logMaxBytes: Math.round(numberVar(env, 'LOG_MAX_MB', 200, 0.01, 1_000_000) * 1024 * 1024),
    webhooks: webhooksVar(env),
  };
}

/** Standard Webhooks' key sizes: at least 24 bytes (192 bits), at most 64. */
const WEBHOOK_KEY_BYTES = { min: 24, max: 64 } as const;

/**
 * WEBHOOK_SECRET: `whsec_` + standard base64 of 24 to 64 bytes (e.g.
 * `echo "whsec_$(openssl rand -base64 32)"`); the value never goes into a message. standardwebhooks
 * itself must accept it (it decodes the same base64).
 */
function webhookSecretVar(env: NodeJS.ProcessEnv): string | undefined {
  const secret = optional(env, 'WEBHOOK_SECRET');
  if (secret === undefined) return undefined;
  const body = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
  const bytes = body !== undefined && body.length % 4 === 0 ? Buffer.from(body, 'base64').length : 0;
  let usable = bytes >= WEBHOOK_KEY_BYTES.min && bytes <= WEBHOOK_KEY_BYTES.max;
  if (usable) {
    try {
      new Webhook(secret);
    } catch {
      usable = false;
    }
  }
  if (!usable) {
    throw new ConfigError(
      `WEBHOOK_SECRET must be whsec_ followed by the base64 of ${WEBHOOK_KEY_BYTES.min} to ${WEBHOOK_KEY_BYTES.max} random bytes ` +
        '(e.g. echo "whsec_$(openssl rand -base64 32)")',
    );
  }
  return secret;
}

/**
 * The WEBHOOK_* settings. Without WEBHOOK_SECRET webhooks are off, and WEBHOOK_URL is refused (an
 * owner who set a receiver expects signed deliveries; unsigned ones would let anyone who learns
 * the URL forge task events). WEBHOOK_URL follows the callback_url rules (outbound-url-policy.ts).
 */
function webhooksVar(env: NodeJS.ProcessEnv): WebhookConfig | undefined {
  const secret = webhookSecretVar(env);
  const rawUrl = optional(env, 'WEBHOOK_URL');
  const allowPrivate = boolVar(env, 'WEBHOOK_ALLOW_PRIVATE', false);
  const rawEvents = optional(env, 'WEBHOOK_EVENTS') ?? 'final';
  if (rawEvents !== 'final' && rawEvents !== 'all') {
    throw new ConfigError(`WEBHOOK_EVENTS must be final or all, got "${shown(rawEvents)}"`);
  }
  const retryForS = numberVar(env, 'WEBHOOK_RETRY_FOR_S', 86_400, 0, 172_800);
  const timeoutMs = Math.round(numberVar(env, 'WEBHOOK_TIMEOUT_S', 10, 0.1, 60) * 1000);
  if (rawUrl !== undefined) {
    try {
      checkOutboundUrl(rawUrl, allowPrivate);
    } catch (error) {
      if (!(error instanceof OutboundUrlRefusal)) throw error;
      throw new ConfigError(
        `WEBHOOK_URL must be ${error.rule}${allowPrivate ? '' : ' (WEBHOOK_ALLOW_PRIVATE=true allows http and private addresses)'}, got "${shown(rawUrl)}"`,
      );
    }
  }
  if (secret === undefined) {
    if (rawUrl !== undefined) {
      throw new ConfigError(
        'WEBHOOK_URL needs WEBHOOK_SECRET (whsec_ + base64 of 24 to 64 random bytes): deliveries are always signed',
      );
    }
    return undefined;
  }
  const pendingPerClient = intVar(env, 'WEBHOOK_PENDING_PER_CLIENT', 20, 0, 100_000);
  const inFlightPerClient = intVar(env, 'WEBHOOK_IN_FLIGHT_PER_CLIENT', 4, 0, 100_000);
  return {
    secret,
    ownerUrl: rawUrl,
    events: rawEvents,
    allowPrivate,
    retryForS,
    timeoutMs,
    pendingPerClient,
    inFlightPerClient,
  };
}

/** Node refuses a headers timeout longer than the whole request's: said here, naming both. */
function checkTimeouts(env: NodeJS.ProcessEnv): void {
  const headers = numberVar(env, 'HEADERS_TIMEOUT_S', 20, 0.1, 3600);
  const request = numberVar(env, 'REQUEST_TIMEOUT_S', 120, 0.1, 3600);
  if (headers > request) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_S (${headers}) must not exceed REQUEST_TIMEOUT_S (${request}): the headers are part of the request`,
    );
  }
}

/**
 * INFERENCE_URL: `host:port` (an optional grpc:// or http:// prefix is tolerated), `[v6]:port` or
 * `unix:///path`. Without a port grpc-js would silently try 443.
 */
function inferenceUrlVar(env: NodeJS.ProcessEnv): string | undefined {
  const url = optional(env, 'INFERENCE_URL');
  if (url === undefined || url.startsWith('unix:')) return url;
  const match = /^(?:(?:grpc|http):\/\/)?(?:\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(url);
  if (match === null || Number(match[1]) < 1 || Number(match[1]) > 65535) {
    throw new ConfigError(
      `INFERENCE_URL must be host:port (e.g. 10.0.0.5:50051) or unix:///path/inference.sock, got "${shown(url)}"`,
    );
  }
  return url;
}

/** INFERENCE_TOKEN: a usable secret (isUsableSecret), sent as a gRPC header value. */
function inferenceTokenVar(env: NodeJS.ProcessEnv): string | undefined {
  return tokenVar(env, 'INFERENCE_TOKEN');
}

/**
 * A bearer token setting (INFERENCE_TOKEN, ADMIN_TOKEN, METRICS_TOKEN): a usable secret
 * (isUsableSecret; the admin and metrics routes are reachable through the tunnel, where a short
 * token could be guessed), or unset. The value never goes into the message.
 */
function tokenVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const token = optional(env, name);
  if (token !== undefined && !isUsableSecret(token)) {
    throw new ConfigError(
      `${name} must be at least ${MIN_SECRET_LENGTH} characters with no spaces (e.g. openssl rand -hex 32)`,
    );
  }
  return token;
}

function accessVar(env: NodeJS.ProcessEnv): AccessConfig | undefined {
  const apiKeySha256 = apiKeysVar(env);
  const cloudflare = cloudflareAccessVar(env);
  return apiKeySha256.length === 0 && cloudflare === undefined ? undefined : { apiKeySha256, cloudflare };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
