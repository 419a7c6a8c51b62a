import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { modelIdIn, sample, upload } from '../support/http-client';
import { type NginxProcess, startNginx } from '../support/nginx';
import { precompress } from '../support/web-build';
import {
  type TimedSseRead,
  type TimedSseRecord,
  readTimedSse,
  sendRaw,
  timedEvents,
} from '../support/raw-http';

/** The long profile (KILN_LONG_TESTS=1) also proves a quiet stream outlives Cloudflare's 100 s. */
const LONG = process.env.KILN_LONG_TESTS === '1';

/** A raw HTTP answer's head (status line and headers) and body. */
function splitHead(answer: string): [string, string] {
  const end = answer.indexOf('\r\n\r\n');
  assert.ok(end > 0, answer);
  return [answer.slice(0, end), answer.slice(end + 4)];
}

/** A client that would take a compressed stream: nothing on the way may compress it anyway. */
const GZIP_CLIENT = { 'Accept-Encoding': 'gzip, deflate, br' };

/** Milliseconds between a heartbeat comment's own timestamp ("heartbeat <ISO>") and its arrival. */
function heartbeatLatencies(records: TimedSseRecord[]): number[] {
  return records.flatMap((r) => {
    if (r.kind !== 'comment' || !r.text.startsWith('heartbeat ')) return [];
    return [r.at - Date.parse(r.text.slice('heartbeat '.length))];
  });
}

/** Asserts the stream came through as an uncompressed event stream. */
function assertPlainEventStream(read: TimedSseRead): void {
  assert.equal(read.status, 200);
  assert.match(String(read.headers['content-type']), /^text\/event-stream/);
  assert.equal(read.headers['content-encoding'], undefined, 'the event stream must not be compressed');
}

async function enqueue(api: ApiProcess, via: string): Promise<string> {
  const accepted = await upload<{ task_id: string }>(via, sample('typical_misc_lantern.png'), {
    filename: 'lantern.png',
  });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body) + api.output().slice(-2000));
  return accepted.body.task_id;
}

/**
 * A task whose engine hangs (KILN_SIMULATE_FAULT=hang, in its geometry stage) sends no progress
 * until JOB_TIMEOUT_S fails it with 504: its stream through nginx (proxy_read_timeout 60 s by
 * default) lives on heartbeats alone meanwhile. Returns the quiet part's records (from the last
 * event before the terminal one to the terminal `failed`) and the whole read.
 */
async function quietStream(
  api: ApiProcess,
  nginx: NginxProcess,
  timeoutMs: number,
): Promise<{ read: TimedSseRead; quiet: TimedSseRecord[] }> {
  const taskId = await enqueue(api, nginx.url);
  const read = await readTimedSse(`${nginx.url}/api/status/${taskId}`, { headers: GZIP_CLIENT, timeoutMs });
  assertPlainEventStream(read);
  const terminal = read.records.length - 1;
  const last = read.records[terminal];
  assert.ok(
    last?.kind === 'event' && last.event === 'failed' && last.data['http_status'] === 504,
    `ends failed 504 (Generation timeout): ${JSON.stringify(read.records.slice(-2))}`,
  );
  const before = read.records.findLastIndex((r, i) => i < terminal && r.kind === 'event');
  assert.ok(before >= 0, 'an event before the quiet part');
  return { read, quiet: read.records.slice(before, terminal + 1) };
}

/** Largest gap (ms) between consecutive records. */
function largestGap(records: TimedSseRecord[]): number {
  return Math.max(...records.slice(1).map((r, i) => r.at - records[i].at));
}

function startStack(
  name: string,
  env: Record<string, string>,
): { api: () => ApiProcess; nginx: () => NginxProcess } {
  const dir = tempDir(`e2e-nginx-${name}`);
  let api: ApiProcess;
  let nginx: NginxProcess;
  before(async () => {
    await clearKilnKeys();
    api = await startApi({ staticDir: join(dir.path, 'static'), logDir: join(dir.path, 'logs'), env });
    nginx = await startNginx(join(dir.path, 'nginx'), api.port);
  });
  after(async () => {
    await nginx?.stop();
    await api?.stop();
    await clearKilnKeys();
    dir.remove();
  });
  return { api: () => api, nginx: () => nginx };
}

/** A share page's lazily loaded chunk, large enough to compress (its build outputs one too). */
const SHARE_CHUNK = 'chunk-SHARE001.js';
const SHARE_CHUNK_TEXT = Array.from({ length: 600 }, (_, i) => `export const viewer${i} = ${i * 3};`).join(
  '\n',
);

/**
 * A web build as scripts/lib/web-build.mjs leaves it, in `dir`: index.html, the esbuild metafile
 * naming the share page's chunk, that chunk, and the brotli and gzip copies the build step writes.
 */
async function writeWebBuild(dir: string): Promise<void> {
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>Kiln3D</title></head><body><kiln-root></kiln-root></body></html>',
  );
  writeFileSync(
    join(dir, '..', 'stats.json'),
    JSON.stringify({
      inputs: {},
      outputs: {
        'main-MAINMAIN.js': {
          entryPoint: 'web/src/main.ts',
          imports: [{ path: SHARE_CHUNK, kind: 'dynamic-import' }],
        },
        [SHARE_CHUNK]: { entryPoint: 'web/src/app/features/share/share-page.ts', imports: [] },
      },
    }),
  );
  writeFileSync(join(dir, SHARE_CHUNK), SHARE_CHUNK_TEXT);
  await precompress(dir);
}

void describe('SSE through nginx (default buffering, gzip on)', () => {
  const web = tempDir('e2e-nginx-web');
  const built = join(web.path, 'browser');
  before(async () => {
    mkdirSync(built);
    await writeWebBuild(built);
  });
  after(() => web.remove());
  const stack = startStack('short', { SIMULATE_SECONDS: '6', SSE_HEARTBEAT_S: '1', WEB_DIR: built });
  let finishedTask = '';
  let lastId = 0;

  void it('delivers every event while the job runs, each within 1 s, uncompressed', async (t) => {
    const taskId = await enqueue(stack.api(), stack.nginx().url);
    const [proxied, direct] = await Promise.all([
      readTimedSse(`${stack.nginx().url}/api/status/${taskId}`, { headers: GZIP_CLIENT, timeoutMs: 90_000 }),
      readTimedSse(`${stack.api().url}/api/status/${taskId}`, { timeoutMs: 90_000 }),
    ]);
    assertPlainEventStream(proxied);
    const events = timedEvents(proxied);
    assert.equal(events.at(-1)?.event, 'completed', JSON.stringify(proxied.records.slice(-3)));
    assert.ok(proxied.endedByServer, 'the stream ends after the terminal event');
    // nginx forwards Host and X-Forwarded-Proto from loopback (trusted): URLs name the proxy.
    const modelUrl = String(events.at(-1)?.data['model_url']);
    const modelId = modelIdIn(modelUrl, String(events.at(-1)?.data['download_url']), taskId);
    assert.equal(modelUrl, `${stack.nginx().url}/static/${modelId}.glb`);
    const progress = events.filter((e) => e.event === 'processing' && typeof e.data['progress'] === 'number');
    assert.ok(progress.length >= 3, `progress events: ${progress.length}`);
    // Spread over the run, not flushed at its end: the first progress arrives seconds before the last.
    assert.ok(progress.at(-1)!.at - progress[0].at >= 3000, 'progress arrives while the job runs');
    const directAt = new Map(timedEvents(direct).map((e) => [e.id, e.at]));
    const lags: number[] = [];
    for (const event of events) {
      const sentAt = directAt.get(event.id);
      assert.ok(sentAt !== undefined, `event ${event.id} also on the direct stream`);
      lags.push(event.at - sentAt);
      if (event.event === 'processing') {
        const stamped = event.at - Date.parse(String(event.data['updated_at']));
        assert.ok(stamped < 1000, `event ${event.id} arrived ${stamped} ms after its updated_at`);
      }
    }
    const heartbeats = heartbeatLatencies(proxied.records);
    const worst = Math.max(...lags, ...heartbeats);
    assert.ok(worst < 1000, `worst delivery lag through nginx ${worst} ms`);
    t.diagnostic(
      `nginx delivery: ${events.length} events, max lag vs direct ${Math.max(...lags)} ms; ` +
        `${heartbeats.length} heartbeats, max lag ${Math.max(...heartbeats)} ms`,
    );
    finishedTask = taskId;
    lastId = events.at(-1)!.id;
  });

  void it('has gzip armed: the JSON snapshot of the same task comes back compressed', async () => {
    assert.ok(finishedTask, 'needs the finished task of the previous test');
    const response = await sendRaw(`${stack.nginx().url}/api/tasks/${finishedTask}`, {
      headers: GZIP_CLIENT,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
  });

  void it('answers a reconnect after the terminal event with 204 through nginx', async () => {
    assert.ok(finishedTask, 'needs the finished task of the previous test');
    const reconnect = await readTimedSse(`${stack.nginx().url}/api/status/${finishedTask}`, {
      headers: { ...GZIP_CLIENT, 'Last-Event-ID': String(lastId) },
      timeoutMs: 10_000,
    });
    assert.equal(reconnect.status, 204);
    assert.deepEqual(reconnect.records, []);
    assert.ok(reconnect.endedByServer);
  });

  void it('frames the stream for the protocol asked: HTTP/1.1 chunks, HTTP/1.0 a body ended by the close', async () => {
    assert.ok(finishedTask, 'needs the finished task of the previous test');
    // The terminal event once, straight from the api (nginx's default upstream protocol is 1.0).
    const raw = async (version: string): Promise<string> => {
      const socket = connect(stack.api().port, '127.0.0.1');
      socket.write(`GET /api/status/${finishedTask} ${version}\r\nHost: 127.0.0.1\r\n\r\n`);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      // HTTP/1.1 keeps the connection: it is closed here once the last chunk is in.
      socket.on(
        'data',
        () => Buffer.concat(chunks).toString('latin1').endsWith('\r\n0\r\n\r\n') && socket.end(),
      );
      await once(socket, 'close');
      return Buffer.concat(chunks).toString('latin1');
    };
    const event = (text: string): string => {
      const match = /event: completed\nid: (\d+)\nretry: 3000\ndata: (\{.*\})\n\n/.exec(text);
      assert.ok(match, text);
      assert.equal(Number(match[1]), lastId);
      assert.equal((JSON.parse(match[2]) as { status: string }).status, 'completed');
      return match[0];
    };
    const chunked = await raw('HTTP/1.1');
    const [head11, body11] = splitHead(chunked);
    assert.match(head11, /^HTTP\/1\.1 200 /);
    assert.match(head11, /\r\ntransfer-encoding: chunked/i);
    assert.match(head11, /\r\ncontent-type: text\/event-stream/i);
    assert.match(head11, /\r\nx-accel-buffering: no/i);
    const frame = event(body11);
    assert.equal(body11, `${Buffer.byteLength(frame).toString(16)}\r\n${frame}\r\n0\r\n\r\n`);
    const closed = await raw('HTTP/1.0');
    const [head10, body10] = splitHead(closed);
    assert.match(head10, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(head10, /transfer-encoding/i);
    assert.equal(body10, event(body10), 'the event as it is, ended by the close');
  });

  void it("serves the share page's HTML through nginx with its chunk and LOD named for preloading", async () => {
    const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
    // Read as it is: nginx gzips HTML itself for a client that takes it (text/html always is).
    const page = await sendRaw(`${stack.nginx().url}/m/${id}`, {
      headers: { 'Accept-Encoding': 'identity' },
    });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.ok(page.body.includes(`<link rel="modulepreload" href="${SHARE_CHUNK}">`), page.body);
    assert.ok(
      page.body.includes(`<link rel="preload" href="/static/${id}.lod.glb" as="fetch" crossorigin>`),
      page.body,
    );
  });

  void it("passes the build's precompressed copies through nginx untouched, gzip armed for JavaScript", async () => {
    const url = `${stack.nginx().url}/${SHARE_CHUNK}`;
    const brotli = await sendRaw(url, { headers: GZIP_CLIENT });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.deepEqual(brotli.bytes, readFileSync(join(built, `${SHARE_CHUNK}.br`)));
    const gzip = await sendRaw(url, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.deepEqual(
      gzip.bytes,
      readFileSync(join(built, `${SHARE_CHUNK}.gz`)),
      "the build's copy, not nginx's",
    );
    const plain = await sendRaw(url, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, SHARE_CHUNK_TEXT);
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');
  });
});

void describe('SSE through nginx: a stream with no progress lives on heartbeats', () => {
  const stack = startStack('quiet', {
    KILN_SIMULATE_FAULT: 'hang',
    SIMULATE_SECONDS: '1',
    JOB_TIMEOUT_S: '8',
    SSE_HEARTBEAT_S: '1',
  });

  void it('stays open with no event for seconds, heartbeats each within 1 s', async (t) => {
    const { quiet } = await quietStream(stack.api(), stack.nginx(), 60_000);
    const open = quiet.at(-1)!.at - quiet[0].at;
    const heartbeats = heartbeatLatencies(quiet);
    assert.ok(open >= 4000, `quiet for ${open} ms`);
    assert.ok(heartbeats.length >= 4, `heartbeats while quiet: ${heartbeats.length}`);
    assert.ok(Math.max(...heartbeats) < 1000, `heartbeat lags ${heartbeats.join(', ')} ms`);
    assert.ok(largestGap(quiet) < 1500, `largest silence ${largestGap(quiet)} ms with SSE_HEARTBEAT_S=1`);
    t.diagnostic(`quiet ${open} ms, ${heartbeats.length} heartbeats, max lag ${Math.max(...heartbeats)} ms`);
  });
});

void describe('SSE through nginx: a quiet stream outlives 100 s (KILN_LONG_TESTS=1)', { skip: !LONG }, () => {
  // Heartbeats at the default 15 s; nginx's proxy_read_timeout is 60 s, Cloudflare's idle limit 100 s.
  const stack = startStack('long', {
    KILN_SIMULATE_FAULT: 'hang',
    SIMULATE_SECONDS: '1',
    JOB_TIMEOUT_S: '115',
  });

  void it('stays open over 100 s with no event, on heartbeats alone', async (t) => {
    const { quiet } = await quietStream(stack.api(), stack.nginx(), 200_000);
    const open = quiet.at(-1)!.at - quiet[0].at;
    const heartbeats = heartbeatLatencies(quiet);
    assert.ok(open > 100_000, `quiet for ${open} ms`);
    assert.ok(largestGap(quiet) < 16_000, `largest silence ${largestGap(quiet)} ms`);
    assert.ok(Math.max(...heartbeats) < 1000, `heartbeat lags ${heartbeats.join(', ')} ms`);
    t.diagnostic(`quiet ${open} ms, ${heartbeats.length} heartbeats, max lag ${Math.max(...heartbeats)} ms`);
  });
});
