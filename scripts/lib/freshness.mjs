// Decides whether an install or build step is stale, by comparing modification times of its
// inputs with a stamp file its last successful run left behind.
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SKIP = new Set([
  'node_modules',
  '.venv',
  '__pycache__',
  '.mypy_cache',
  '.ruff_cache',
  '.pytest_cache',
  'e2e',
]);

/** Newest mtime (ms) among files under the given paths (files or folders). */
export function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) {
        if (!SKIP.has(name)) visit(join(p, name));
      }
    } else if (st.mtimeMs > newest) {
      newest = st.mtimeMs;
    }
  };
  paths.forEach(visit);
  return newest;
}

export function isStale(stampFile, inputs) {
  if (!existsSync(stampFile)) return true;
  return newestMtime(inputs) > statSync(stampFile).mtimeMs;
}

export function touchStamp(stampFile) {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${new Date().toISOString()}\n`);
}
