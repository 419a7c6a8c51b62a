// `npm start`: install and build whatever is missing, find or start Redis, then run the api
// (which spawns and supervises the inference sidecar) on PORT (default 8000).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ROOT,
  checkNode,
  ensureApiBuild,
  ensureNodeModules,
  ensurePython,
  ensureRedis,
  ensureWebBuild,
} from './lib/ensure.mjs';

async function main() {
  checkNode();
  await ensureNodeModules();
  await ensurePython();
  await ensureApiBuild();
  await ensureWebBuild();
  const redis = await ensureRedis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', {
    persist: true,
    defaultPortOnly: true,
  });

  const api = spawn(process.execPath, [join(ROOT, 'dist', 'api', 'main.bundle.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const stop = (signal) => {
    if (api.exitCode === null) api.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The terminal closed: a graceful stop too, not an orphaned api.
  process.on('SIGHUP', () => stop('SIGTERM'));
  // Whatever started this (npm, when `npm start` is signalled: npm does not pass SIGTERM on to
  // its script and exits) went away: a graceful stop too, so no api is left holding the port.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('SIGTERM');
  }, 1000).unref();
  // Redis, when started here, stops only after the api (ensureRedis: a group of its own), so the
  // api's shutdown can still put its running job back in the queue.
  api.on('exit', (code, signal) => {
    redis?.kill('SIGTERM');
    process.exitCode = code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
  });
}

main().catch((err) => {
  console.error(`[kiln3d] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
