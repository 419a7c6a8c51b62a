// `npm start`: install and build whatever is missing, find or start Redis, then run the api
// (which spawns and supervises the inference sidecar) on PORT (default 8000).
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
import { supervise } from './lib/supervise.mjs';

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

  // Redis, when started here, stops only after the api (ensureRedis: a group of its own), so the
  // api's shutdown can still put its running job back in the queue.
  supervise(process.execPath, [join(ROOT, 'dist', 'api', 'main.bundle.js')], {
    cwd: ROOT,
    onExit: (code, signal) => {
      redis?.kill('SIGTERM');
      process.exitCode = code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
    },
  });
}

main().catch((err) => {
  console.error(`[kiln3d] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
