// The task tokens of the tasks this client made, so that `kiln3d cancel ID` works from a later
// run: a JSON file only its owner may read ($XDG_STATE_HOME/kiln3d/tasks.json, or
// ~/.local/state/kiln3d/tasks.json), at most MAX_KEPT tokens, the oldest dropped first.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const MAX_KEPT = 200;

/** @returns {string} the file's path */
export function tokensPath() {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'kiln3d', 'tasks.json');
}

/** @returns {Promise<Record<string, string>>} task id -> token */
async function readAll() {
  try {
    return /** @type {Record<string, string>} */ (JSON.parse(await readFile(tokensPath(), 'utf8')));
  } catch {
    return {};
  }
}

/**
 * @param {string} taskId
 * @param {string} token
 */
export async function rememberToken(taskId, token) {
  const all = await readAll();
  all[taskId] = token;
  const kept = Object.fromEntries(Object.entries(all).slice(-MAX_KEPT));
  const path = tokensPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(kept, null, 1)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * @param {string} taskId
 * @returns {Promise<string | undefined>}
 */
export async function tokenOf(taskId) {
  return (await readAll())[taskId];
}
