import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Makes a folder and the missing ones above it, one at a time, so the first refusal is thrown as
 * the system said it (ENOTDIR under a file, EACCES, ENOENT under /proc). Why not
 * `mkdirSync(path, { recursive: true })`: under a folder that refuses children without saying
 * EEXIST (`/proc/nonexistent/x`), Node 20's recursive mode retries for ever at full CPU.
 * @param path the folder (relative to the working directory, or absolute)
 * @throws the first mkdir's error; ENOTDIR when `path` itself is a file
 */
export function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made meanwhile by another process: as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  if (!statSync(path).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), { code: 'ENOTDIR' });
  }
}
