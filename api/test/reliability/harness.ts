import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import Bull from 'bull';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { type ApiProcess, type StartOptions, startApi } from '../support/api-process';
import { TEST_REDIS_URL, type TempDir, clearKilnKeys, sleep, tempDir } from '../support/env';
import { type CategoryReport, emptyReport } from './report';
import { FOLDER_MARKER } from '../../src/storage/local-model-store';
import { modelIdOfFile } from '../../src/storage/model-formats';

/** quick: inside `npm test` (a minute or two on 2 cores); full: `npm run test:reliability`. */
export type Profile = 'quick' | 'full';

/** What every category module gets from the runner. */
export interface SuiteContext {
  profile: Profile;
  /** Prints one progress line (the runner prefixes the category). */
  log(message: string): void;
}

/** One category's module: runs its cases and returns its counts. */
export type CategoryRun = (ctx: SuiteContext) => Promise<CategoryReport>;

/** A 5xx (or a dead api) where the contract lists none: counted as a crash, not just a wrong answer. */
export class CrashError extends Error {}

/**
 * A real api process (api/test/support/api-process.ts) for one category, with folders of its own:
 * the model store, logs, and TMPDIR (the api's and its sidecar's temporary folder), so that
 * anything left behind is seen.
 */
export interface SuiteApi {
  api: ApiProcess;
  dir: TempDir;
  staticDir: string;
  logDir: string;
  tmpDir: string;
  /** Starts it again on the same folders and port (after a kill). */
  restart(env?: Record<string, string>, waitReady?: boolean): Promise<ApiProcess>;
  /** Stops the api (SIGTERM) and removes its folders. */
  stop(): Promise<void>;
}

export async function startSuiteApi(
  name: string,
  env: Record<string, string> = {},
  options: Partial<StartOptions> = {},
): Promise<SuiteApi> {
  const dir = tempDir(`rel-${name}`);
  const staticDir = join(dir.path, 'static');
  const logDir = join(dir.path, 'logs');
  const tmpDir = join(dir.path, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  // Every request comes from this one test client: the per-client limits (issue 9, their own
  // tests) are off, so each category sees the queue's own answers (503, not 429).
  const baseEnv = {
    INFERENCE_ENGINE: 'inflate',
    TMPDIR: tmpDir,
    UPLOADS_PER_MINUTE: '0',
    ACTIVE_TASKS_PER_CLIENT: '0',
    ...env,
  };
  const suite: SuiteApi = {
    api: await startApi({ staticDir, logDir, env: baseEnv, ...options }),
    dir,
    staticDir,
    logDir,
    tmpDir,
    async restart(more = {}, waitReady = true) {
      suite.api = await startApi({
        staticDir,
        logDir,
        env: { ...baseEnv, ...more },
        port: suite.api.port,
        waitReady,
      });
      return suite.api;
    },
    async stop() {
      await suite.api.stop();
      dir.remove();
    },
  };
  return suite;
}

/** True while the process runs and /api/health answers 200 within 5 s. */
export async function apiAlive(api: ApiProcess): Promise<boolean> {
  if (api.child.exitCode !== null || api.child.signalCode !== null) return false;
  try {
    const response = await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Resident memory of a process in MiB (Linux /proc), or NaN where unreadable. */
export function rssMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  walk(root);
  return found;
}

/**
 * Files left behind: in TMPDIR anything; in the model store anything that is not a file of a model
 * in `completedModels` (the model ids of the completed tasks: other tasks must leave nothing
 * there; storage/model-formats.ts modelIdOfFile: its web model, LOD, source and formats) or the
 * folder's marker.
 */
export function strayFiles(suite: SuiteApi, completedModels: ReadonlySet<string>): string[] {
  const stray = filesUnder(suite.tmpDir).map((f) => `tmp/${f}`);
  for (const file of filesUnder(suite.staticDir)) {
    // The folder's identity marker (LocalModelStore): written once at start, meant to stay.
    if (file === FOLDER_MARKER) continue;
    const modelId = modelIdOfFile(file);
    if (modelId === undefined || !completedModels.has(modelId)) stray.push(`static/${file}`);
  }
  return stray;
}

export interface TaskEnd {
  status: string;
  http_status?: number;
  error?: string;
  error_code?: string;
  model_url?: string;
}

/**
 * Records one category: each case's outcome, each admitted task, and at the end whether every
 * admitted task ended once and what was left on disk.
 */
export class Recorder {
  readonly report: CategoryReport;
  readonly admitted = new Set<string>();
  readonly completed = new Set<string>();
  /** The model ids (file names) of the completed tasks' models. */
  readonly completedModels = new Set<string>();
  /** Tasks already seen at their end (a category may settle several times, on several apis). */
  readonly ended = new Set<string>();

  constructor(
    category: string,
    private readonly ctx: SuiteContext,
  ) {
    this.report = emptyReport(category);
  }

  /**
   * Runs one case. fn throws (assert) when the answer is not the documented one, CrashError for
   * an undocumented 5xx; it may return a note. After it, a dead or unhealthy api is a crash
   * (api: the process, or a getter for one the case restarts).
   */
  async check(
    name: string,
    api: ApiProcess | (() => ApiProcess) | undefined,
    fn: () => Promise<string | void>,
  ): Promise<void> {
    let documented = true;
    let crashed = false;
    let detail = '';
    try {
      detail = (await fn()) ?? '';
    } catch (error) {
      documented = false;
      crashed = error instanceof CrashError;
      detail = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
    }
    const after = typeof api === 'function' ? api() : api;
    if (after && !(await apiAlive(after))) {
      crashed = true;
      detail = `${detail} api down after the case`.trim();
    }
    this.report.cases.push({ name, documented, crashed, detail });
    if (!documented || crashed) this.ctx.log(`  FAIL ${name}: ${detail}`);
  }

  /**
   * Waits until every admitted task not yet settled has ended (GET /api/tasks/{id}); a task that
   * does not end within timeoutMs is lost; a completed task must have its web model file.
   */
  async settle(
    api: ApiProcess,
    suite: SuiteApi | undefined,
    timeoutMs: number,
  ): Promise<Map<string, TaskEnd>> {
    const ends = new Map<string, TaskEnd>();
    const deadline = Date.now() + timeoutMs;
    for (const id of [...this.admitted].filter((t) => !this.ended.has(t))) {
      this.ended.add(id);
      for (;;) {
        let end: TaskEnd | undefined;
        try {
          const response = await fetch(`${api.url}/api/tasks/${id}`);
          const body = (await response.json()) as TaskEnd;
          if (body.status === 'completed' || body.status === 'failed') end = body;
        } catch {
          // The api is restarting: keep asking until the deadline.
        }
        if (end) {
          ends.set(id, end);
          if (end.status === 'completed') {
            this.completed.add(id);
            // Files are named by the model's id (the model URL's), not the task's.
            const file = end.model_url === undefined ? undefined : basename(new URL(end.model_url).pathname);
            const modelId = file === undefined ? undefined : modelIdOfFile(file);
            if (modelId !== undefined) this.completedModels.add(modelId);
            if (suite && (file === undefined || !existsSync(join(suite.staticDir, file)))) {
              this.report.lostTasks.push(`${id} (completed, no model file)`);
            }
          }
          break;
        }
        if (Date.now() > deadline) {
          this.report.lostTasks.push(`${id} (never ended)`);
          break;
        }
        await sleep(200);
      }
    }
    return ends;
  }

  /** Adds the files left in the suite api's folders to the report (after the api stopped: its socket goes with it). */
  checkFiles(suite: SuiteApi): void {
    this.report.strayFiles.push(...strayFiles(suite, this.completedModels));
  }
}

/** The generation queue seen from outside, to hold jobs while their stored images are read. */
export function generationQueue(): Bull.Queue {
  return new Bull(GENERATION_QUEUE, TEST_REDIS_URL, { prefix: RedisKeys.bullPrefix });
}

/** Fresh Redis state for a category: every `kiln:*` key of the test database deleted. */
export async function freshRedis(): Promise<Redis> {
  await clearKilnKeys();
  return new Redis(TEST_REDIS_URL);
}

/** Throws CrashError for a 5xx the case did not expect. */
export function noUnexpected5xx(status: number, allowed: number[] = []): void {
  if (status >= 500 && !allowed.includes(status)) throw new CrashError(`answered ${status}`);
}
