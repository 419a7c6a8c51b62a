import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { REPO_ROOT, TEST_REDIS_URL, clearKilnKeys, sleep, tempDir } from './env';
import { freePort } from './ports';

/** The test build's compiled server, which npm test bundles (scripts/lib/api-build.mjs --test). */
const TEST_SRC_DIST = join(REPO_ROOT, 'dist', 'api-test', 'src');
/** scripts/lib/api-build.mjs's API_BUNDLE (an ES module: this CommonJS module cannot load it at start). */
const BUNDLE = 'main.bundle.js';

/**
 * Whether `<dir>/main.bundle.js` is missing or older than the `<dir>/main.js` tsc wrote (tsc
 * rewrites every output, main.js included, on each compile).
 * @param dir a compiled api's src folder
 */
export function bundleIsStale(dir: string): boolean {
  try {
    return statSync(join(dir, BUNDLE)).mtimeMs < statSync(join(dir, 'main.js')).mtimeMs;
  } catch {
    return true;
  }
}

/**
 * Bundles dist/api-test/src again when tsc compiled it after the last bundle (a developer's
 * `npx tsc -p api`, then one test file; npm test and the bench bundle right after compiling).
 * @throws when the bundle cannot be made (esbuild's message, e.g. no dist/api-test/src/main.js)
 */
function bundleWhenStale(): void {
  if (process.env.KILN_API_MAIN !== undefined || !bundleIsStale(TEST_SRC_DIST)) return;
  const script = join(REPO_ROOT, 'scripts', 'lib', 'api-build.mjs');
  const built = spawnSync(process.execPath, [script, '--test', '--bundle-only'], { encoding: 'utf8' });
  if (built.status !== 0)
    throw new Error(`bundling dist/api-test/src failed:\n${built.stdout}${built.stderr}`);
}

/**
 * The api under test: the bundled server as a child process, with its own port, STATIC_DIR and
 * LOG_DIR, on the test Redis database, spawning the real Python sidecar. The bundle is the one
 * npm start runs (scripts/lib/api-build.mjs), made from dist/api-test/src: the same source
 * compiled with the tests, bundled again here, when this module loads, if tsc wrote a newer
 * main.js. KILN_API_MAIN=dist/api/main.bundle.js runs the production build instead.
 */
export const API_MAIN = process.env.KILN_API_MAIN ?? join(TEST_SRC_DIST, BUNDLE);

/** The api's start with this environment (nothing else but PATH, HOME and the test Redis): exit status and stderr. */
export function startWith(env: Record<string, string>): {
  status: number | null;
  stderr: string;
  stdout: string;
} {
  const result = spawnSync(process.execPath, [API_MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: TEST_REDIS_URL, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}
bundleWhenStale();

/**
 * The first IPv4 address of this machine that is not loopback (its LAN address, e.g. eth0's), or
 * undefined on a machine with none: a connection from it to this machine comes from a
 * non-loopback peer, as a LAN visitor's would.
 */
export function lanAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

/** The URL host that reaches a server listening on `host` (HOST): itself, or 127.0.0.1 for every interface. */
function reachableHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::' || host === 'localhost') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

export interface ApiProcess {
  url: string;
  port: number;
  child: ChildProcess;
  env: Record<string, string>;
  /** stdout + stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (a crash), resolves when it exited. */
  kill(): Promise<void>;
}

export interface StartOptions {
  staticDir: string;
  logDir: string;
  env?: Record<string, string>;
  /** Wait for the sidecar to report ready (default true). */
  waitReady?: boolean;
  port?: number;
  /**
   * Replaces the /api/health poll as the readiness check (a worker-only process, KILN_ROLE=worker,
   * answers no HTTP: it is ready once an api process lists it).
   */
  ready?: (child: ChildProcess) => Promise<boolean>;
  /** How long it may take to be ready (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * A command the api is started through: its words come before node's, e.g. `unshare -m … sh -c
   * '… exec "$@"'` for a mount namespace of its own. It must exec node at the end, so that the
   * child's pid is the api's (its signals, its /proc/<pid>/root). Default: node directly.
   */
  launcher?: readonly string[];
}

/**
 * Starts the api (the bundle, API_MAIN) and resolves once it is ready (its /api/health says the
 * sidecar is ready, or `options.ready`). Rejects with its output when it exits or is not ready in
 * time. A start on a port of its own choosing (freePort) that another process took first is
 * tried again on another port, twice at most; a port the caller named is never changed.
 */
export async function startApi(options: StartOptions): Promise<ApiProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startApiOn(options.port ?? (await freePort()), options);
    } catch (error) {
      const lostPort = error instanceof PortTaken;
      if (!lostPort || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

/** A start that failed because its port was taken (the api exited with EADDRINUSE). */
class PortTaken extends Error {}

async function startApiOn(port: number, options: StartOptions): Promise<ApiProcess> {
  mkdirSync(options.staticDir, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    REDIS_URL: TEST_REDIS_URL,
    INFERENCE_ENGINE: 'simulate',
    SIMULATE_SECONDS: '1',
    STATIC_DIR: options.staticDir,
    LOG_DIR: options.logDir,
    INFERENCE_DIR: join(REPO_ROOT, 'inference'),
    WEB_DIR: join(options.staticDir, 'no-web-build'),
    // The suites upload, poll and follow far faster than any family from one address (127.0.0.1);
    // the per-client limits' own tests (e2e/abuse-limits.test.ts, security/) turn them on, with
    // their defaults too.
    UPLOADS_PER_MINUTE: '0',
    ACTIVE_TASKS_PER_CLIENT: '0',
    READS_PER_MINUTE: '0',
    SSE_STREAMS_PER_CLIENT: '0',
    MAX_CONNECTIONS_PER_CLIENT: '0',
    // Suites that fill the queue or count jobs send one sample many times: each must be a job.
    INSTANT_REPEATS: 'off',
    // A test machine's /tmp may have under the default 1 GB free; the disk guard's own tests
    // (security/disk-space, a tmpfs) set it, and so would a suite that means to test it.
    MIN_FREE_DISK_MB: '0',
    ...options.env,
  };
  const [command, ...args] = [...(options.launcher ?? []), process.execPath, API_MAIN];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${reachableHost(env.HOST)}:${port}`;
  const api: ApiProcess = {
    url,
    port,
    child,
    env,
    output: () => output,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const message = `api exited with ${child.exitCode}:\n${output.slice(-3000)}`;
      throw new RegExp(`EADDRINUSE: address already in use \\S*:${port}\\b`).test(output)
        ? new PortTaken(message)
        : new Error(message);
    }
    if (Date.now() > deadline) {
      await api.kill();
      throw new Error(`api did not become ready in ${readyTimeoutMs / 1000} s:\n${output.slice(-3000)}`);
    }
    if (options.ready) {
      if (await options.ready(child).catch(() => false)) return api;
      await sleep(150);
      continue;
    }
    try {
      const response = await fetch(`${url}/api/health`);
      const body = (await response.json()) as { inference?: { state?: string } };
      if (options.waitReady === false || body.inference?.state === 'ready') return api;
    } catch {
      // Not listening yet.
    }
    await sleep(150);
  }
}

/** A suite's api process (see useApi): an ApiProcess that reads through to the one now running. */
export interface ApiFixture extends ApiProcess {
  /** The suite's temporary STATIC_DIR (`<temp>/static`) and LOG_DIR (`<temp>/logs`). */
  readonly staticDir: string;
  readonly logDir: string;
  /**
   * Starts a new process on the same folders and options (after a test stopped or killed the
   * last one), resolves once it is ready; the fixture then reads through to it. samePort: on the
   * last process's port, as an owner's restart is (clients that held its URL reach the new one);
   * else on a free one. Rejects as startApi does (the process exited, or was not ready within 60 s).
   */
  restart(options?: { samePort?: boolean }): Promise<ApiProcess>;
}

/**
 * Registers node:test hooks for the enclosing describe: `before` clears the kiln keys of the test
 * Redis and starts the api (startApi) on a fresh temporary STATIC_DIR and LOG_DIR (tempDir(prefix));
 * `after` stops whichever process is running, clears the kiln keys again and removes the folder.
 * `options` are startApi's, less the folders; a failed start fails the `before` hook. Reading a process field (url, port, child, env,
 * output, stop, kill) before the `before` hook has started it throws.
 */
export function useApi(prefix: string, options: Omit<StartOptions, 'staticDir' | 'logDir'> = {}): ApiFixture {
  const dir = tempDir(prefix);
  const staticDir = join(dir.path, 'static');
  const logDir = join(dir.path, 'logs');
  let current: ApiProcess | undefined;
  const running = (): ApiProcess => {
    if (!current) throw new Error(`useApi(${prefix}): the api has not started (read it inside a test)`);
    return current;
  };
  const fixture: ApiFixture = {
    staticDir,
    logDir,
    get url() {
      return running().url;
    },
    get port() {
      return running().port;
    },
    get child() {
      return running().child;
    },
    get env() {
      return running().env;
    },
    output: () => running().output(),
    stop: (graceMs) => running().stop(graceMs),
    kill: () => running().kill(),
    async restart(how = {}) {
      const port = how.samePort === true && current !== undefined ? current.port : options.port;
      current = await startApi({ ...options, ...(port !== undefined ? { port } : {}), staticDir, logDir });
      return current;
    },
  };
  before(async () => {
    await clearKilnKeys();
    await fixture.restart();
  });
  after(async () => {
    await current?.stop();
    await clearKilnKeys();
    dir.remove();
  });
  return fixture;
}
