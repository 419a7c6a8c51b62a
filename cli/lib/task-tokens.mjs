// The tasks this client made, so that `kiln3d cancel ID` works from a later run and `kiln3d status`
// can list them: a JSON file only its owner may read ($XDG_STATE_HOME/kiln3d/tasks.json, or
// ~/.local/state/kiln3d/tasks.json), at most MAX_KEPT tasks, the oldest dropped first. Each task
// id maps to its token, the server that took it, the picture's file name and when it was sent; a
// file of an older client maps ids to bare tokens, which are still read.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';

const MAX_KEPT = 200;
/**
 * How another kiln3d process's write is waited out (proper-lockfile's lock, a `tasks.json.lock`
 * folder): up to about 5 s; a lock older than 10 s whose holder stopped refreshing it is stale
 * (a process killed midway).
 */
const LOCK_OPTIONS = {
  realpath: false,
  stale: 10_000,
  retries: { retries: 60, minTimeout: 10, maxTimeout: 100, randomize: true },
};

/** @typedef {{ token: string, server?: string, picture?: string, sentAt?: string }} KnownTask */

/** @returns {string} the file's path */
export function tokensPath() {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'kiln3d', 'tasks.json');
}

/** @returns {Promise<Record<string, KnownTask>>} task id -> what is known of it, oldest first */
async function readAll() {
  /** @type {Record<string, unknown>} */
  let raw;
  try {
    raw = JSON.parse(await readFile(tokensPath(), 'utf8'));
  } catch {
    return {};
  }
  /** @type {Record<string, KnownTask>} */
  const tasks = {};
  for (const [id, value] of Object.entries(raw ?? {})) {
    if (typeof value === 'string') tasks[id] = { token: value };
    else if (
      value &&
      typeof value === 'object' &&
      typeof (/** @type {KnownTask} */ (value).token) === 'string'
    )
      tasks[id] = /** @type {KnownTask} */ (value);
  }
  return tasks;
}

/** The writes of this process, one after another: `--parallel` pictures are accepted at once. */
let writes = Promise.resolve();

/**
 * Keeps a task this client made (its token, for a later cancel). Each write reads the file, adds
 * the task and replaces the file at once (a new file renamed over it, so a run that stops midway
 * leaves the previous file whole), holding the file's lock: writes of this run are queued, and
 * another kiln3d process writing at the same time waits its turn, so no task is lost.
 * @param {string} taskId
 * @param {KnownTask} task
 * @returns {Promise<void>} once the file holds the task
 * @throws proper-lockfile's ELOCKED when another process held the lock through every retry
 */
export function rememberTask(taskId, task) {
  const write = writes.then(async () => {
    const path = tokensPath();
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(path, LOCK_OPTIONS);
    try {
      const all = await readAll();
      delete all[taskId];
      all[taskId] = task;
      const kept = Object.fromEntries(Object.entries(all).slice(-MAX_KEPT));
      const next = `${path}.${process.pid}.tmp`;
      await writeFile(next, `${JSON.stringify(kept, null, 1)}\n`, { mode: 0o600 });
      await chmod(next, 0o600);
      await rename(next, path);
    } finally {
      await release();
    }
  });
  writes = write.catch(() => undefined);
  return write;
}

/**
 * @param {string} taskId
 * @returns {Promise<string | undefined>} its token, when this client made it
 */
export async function tokenOf(taskId) {
  return (await readAll())[taskId]?.token;
}

/**
 * The tasks this client sent to `server`, newest first.
 * @param {string} server the server's base URL, as ApiClient holds it (no trailing slash)
 * @param {number} limit how many at most
 * @returns {Promise<Array<KnownTask & { id: string }>>}
 */
export async function tasksOn(server, limit) {
  return Object.entries(await readAll())
    .filter(([, task]) => task.server === server)
    .reverse()
    .slice(0, limit)
    .map(([id, task]) => ({ id, ...task }));
}
