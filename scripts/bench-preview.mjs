#!/usr/bin/env node
// Benchmark (issue 12): how soon the first voxel preview is in the browser's hands, and its size.
// Starts the built api (dist/api/main.js) with the simulate engine, runs a few jobs one after the
// other, and for each prints: seconds from `processing` to the first SSE `preview` event, to its
// voxels fetched, and to `completed` (the baseline: a viewer without previews shows nothing until
// then), the ratio of the two, and the bytes of the preview event and of its voxels.
// Then it sends the first job's picture and options again (an instant repeat) and prints the time
// from POST to the completed task in hand, against the full job's.
// Figures only, never a pass/fail. The simulate engine sends its first preview when its structure
// stage ends, at 30% of SIMULATE_SECONDS (TRELLIS.2 reaches its structure a little sooner).
//
//   node node_modules/typescript/bin/tsc -p api/tsconfig.build.json
//   REDIS_URL=redis://127.0.0.1:6379/12 node scripts/bench-preview.mjs [--seconds 20] [--jobs 3]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const API_MAIN = join(ROOT, 'dist', 'api', 'main.js');
const SAMPLE = join(ROOT, 'fixtures', 'samples', 'typical_misc_lantern.png');

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, jobs: { type: 'string', default: '3' } },
});

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

async function waitReady(base) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const health = await (await fetch(`${base}/api/health`)).json();
      if (health?.inference?.state === 'ready') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the api did not become ready');
}

/** Follows one task's SSE stream; resolves with the times (ms, performance.now()) and bytes seen. */
function follow(base, taskId) {
  return new Promise((resolveRun, reject) => {
    const seen = { processing: undefined, preview: undefined, previewEventBytes: 0, previewUrl: undefined };
    let buffer = '';
    const req = request(
      `${base}/api/status/${taskId}`,
      { headers: { Accept: 'text/event-stream' } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          let split;
          while ((split = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, split);
            buffer = buffer.slice(split + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            const now = performance.now();
            if (event === 'processing' && seen.processing === undefined) seen.processing = now;
            if (event === 'preview' && seen.preview === undefined) {
              seen.preview = now;
              seen.previewEventBytes = Buffer.byteLength(`${block}\n\n`);
              seen.previewUrl = JSON.parse(data).url;
              seen.fetch = fetch(seen.previewUrl).then(async (r) => ({
                at: performance.now(),
                bytes: (await r.arrayBuffer()).byteLength,
              }));
            }
            if (event === 'completed' || event === 'failed') {
              seen.end = now;
              seen.status = event;
              req.destroy();
              resolveRun(seen);
            }
          }
        });
      },
    );
    req.on('error', (error) => (seen.end ? undefined : reject(error)));
    req.end();
  });
}

// A database of its own: the api's tasks stay there for 48 h (nothing is flushed).
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('set REDIS_URL to a Redis database the benchmark may use');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: build the api first`);
const work = mkdtempSync(join(tmpdir(), 'kiln3d-bench-preview-'));
const api = spawn(process.execPath, [API_MAIN], {
  cwd: ROOT,
  env: {
    ...process.env,
    PORT: String(port),
    REDIS_URL: redisUrl,
    INFERENCE_ENGINE: 'simulate',
    SIMULATE_SECONDS: values.seconds,
    STATIC_DIR: join(work, 'static'),
    LOG_DIR: join(work, 'logs'),
  },
  stdio: 'ignore',
});
try {
  await waitReady(base);
  const picture = readFileSync(SAMPLE);
  const rows = [];
  const send = (seed) => {
    const form = new FormData();
    form.append('image', new Blob([picture], { type: 'image/png' }), 'lantern.png');
    form.append('seed', String(seed));
    return fetch(`${base}/api/generate`, { method: 'POST', body: form });
  };
  let firstJobS = 0;
  for (let i = 0; i < Number(values.jobs); i++) {
    const form = new FormData();
    form.append('image', new Blob([picture], { type: 'image/png' }), 'lantern.png');
    form.append('seed', String(1000 + i)); // each job its own request: no instant repeat
    const accepted = await (await fetch(`${base}/api/generate`, { method: 'POST', body: form })).json();
    const run = await follow(base, accepted.task_id);
    const fetched = await run.fetch;
    const s = (ms) => (ms / 1000).toFixed(2);
    if (i === 0) firstJobS = (run.end - run.processing) / 1000;
    rows.push({
      job: i + 1,
      status: run.status,
      'first preview event (s)': s(run.preview - run.processing),
      'voxels fetched (s)': s(fetched.at - run.processing),
      'completed (s)': s(run.end - run.processing),
      'preview / completed': ((fetched.at - run.processing) / (run.end - run.processing)).toFixed(3),
      'event bytes': run.previewEventBytes,
      'voxel bytes': fetched.bytes,
    });
  }
  console.log(`simulate engine, SIMULATE_SECONDS=${values.seconds}, sample ${SAMPLE.slice(ROOT.length + 1)}`);
  console.table(rows);
  const repeats = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const accepted = await (await send(1000)).json();
    const task = await (await fetch(`${base}/api/tasks/${accepted.task_id}`)).json();
    repeats.push({ ms: performance.now() - started, status: task.status, reused: task.reused === true });
  }
  const times = repeats.map((r) => r.ms).sort((a, b) => a - b);
  console.log(
    `instant repeat (POST + GET, ${repeats.length} runs): median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, ` +
      `max ${times[times.length - 1].toFixed(1)} ms, all reused: ${repeats.every((r) => r.reused && r.status === 'completed')}; ` +
      `full job ${firstJobS.toFixed(2)} s (ratio ${(times[Math.floor(times.length / 2)] / 1000 / firstJobS).toFixed(4)})`,
  );
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  rmSync(work, { recursive: true, force: true });
}
