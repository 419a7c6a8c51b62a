import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, TEST_REDIS_URL, sleep } from './env';

/**
 * The api under test: the compiled main.js as a child process, with its own port, STATIC_DIR
 * and LOG_DIR, on the test Redis database, spawning the real Python sidecar.
 * dist/api-test/src/main.js is the same source compiled with the tests, so it is never stale;
 * KILN_API_MAIN=dist/api/main.js runs the production build instead.
 */
export const API_MAIN = process.env.KILN_API_MAIN ?? join(REPO_ROOT, 'dist', 'api-test', 'src', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
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
}

export async function startApi(options: StartOptions): Promise<ApiProcess> {
  mkdirSync(options.staticDir, { recursive: true });
  const port = options.port ?? (await freePort());
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
    // The suites upload far faster than any family from one address (127.0.0.1); the per-client
    // limits' own tests (e2e/abuse-limits.test.ts) turn them on, with their defaults too.
    UPLOADS_PER_MINUTE: '0',
    ACTIVE_TASKS_PER_CLIENT: '0',
    // Suites that fill the queue or count jobs send one sample many times: each must be a job.
    INSTANT_REPEATS: 'off',
    ...options.env,
  };
  const child = spawn(process.execPath, [API_MAIN], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
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
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`api exited with ${child.exitCode}:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      await api.kill();
      throw new Error(`api did not become ready:\n${output.slice(-3000)}`);
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
