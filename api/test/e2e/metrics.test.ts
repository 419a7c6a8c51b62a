import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';
import { cancelTask, getJson, sample, upload } from '../support/http-client';

const TOKEN = 'metrics-test-token';
const ADMIN = 'metrics-test-admin';

/** A sample line of the text format: name, optional labels, a value (docs: exposition formats). */
// Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes
// `Nan` for a gauge with no sample yet, e.g. the event-loop lag right after start).
const SAMPLE_LINE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)\})?( (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-][Ii]nf))$/;

/** One sample line: its metric name (with a histogram's _bucket/_sum/_count suffix), labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape: the families as parse-prometheus-text-format reads them (types, help) and every sample. */
interface Scrape {
  families: Map<string, PrometheusFamily>;
  samples: Sample[];
}

async function scrape(api: ApiProcess, token?: string): Promise<Scrape> {
  const response = await fetch(`${api.url}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  // The library throws on any line that is not the text format.
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  // It flattens a labelled histogram into one sample, so each series is read from its own line.
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = raw;
    samples.push({ name: match[1], labels, value: Number(match[5].replace('Inf', 'Infinity')) });
  }
  return { families, samples };
}

/** The value of the first sample named `name` whose labels include `labels` (undefined if none). */
function value(scraped: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scraped.samples.find(
    (m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  )?.value;
}

/** Sum of the values of every sample named `name` whose labels include `labels`. */
function total(scraped: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scraped.samples
    .filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))
    .reduce((sum, m) => sum + m.value, 0);
}

/**
 * GET /metrics on two real api processes sharing one Redis (each with its real inflate sidecar):
 * `a` open, `b` behind METRICS_TOKEN. Each finished task is counted by one of them only.
 */
void describe('GET /metrics (Prometheus, two api processes, inflate engine)', () => {
  const dir = tempDir('e2e-metrics');
  let a: ApiProcess;
  let b: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    const common = { INFERENCE_ENGINE: 'inflate' };
    [a, b] = await Promise.all([
      startApi({
        staticDir: join(dir.path, 'static'),
        logDir: join(dir.path, 'logs-a'),
        env: { ...common, ADMIN_TOKEN: ADMIN },
      }),
      startApi({
        staticDir: join(dir.path, 'static'),
        logDir: join(dir.path, 'logs-b'),
        env: { ...common, METRICS_TOKEN: TOKEN },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await clearKilnKeys();
    dir.remove();
  });

  void it('before any job: default process metrics, an empty queue, the sidecar ready on CPU', async () => {
    const scraped = await scrape(a);
    assert.equal(scraped.families.get('process_cpu_user_seconds_total')?.type, 'COUNTER');
    assert.equal(scraped.families.get('nodejs_eventloop_lag_seconds')?.type, 'GAUGE');
    assert.ok((value(scraped, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.equal(value(scraped, 'kiln3d_queue_jobs', { state: 'waiting' }), 0);
    assert.equal(value(scraped, 'kiln3d_queue_jobs', { state: 'active' }), 0);
    assert.equal(value(scraped, 'kiln3d_sidecar_state', { state: 'ready' }), 1);
    assert.equal(value(scraped, 'kiln3d_sidecar_state', { state: 'down' }), 0);
    // Both processes are api + worker, and each lists every live one (WorkerRegistry's heartbeats).
    assert.equal(scraped.families.get('kiln3d_workers')?.type, 'GAUGE');
    // The two started side by side: the other's first heartbeat may land a moment after this one answers.
    const listed = await waitFor(
      'both processes listed by kiln3d_workers',
      async () => {
        const count = total(await scrape(a), 'kiln3d_workers', { role: 'all' });
        return count === 2 ? count : undefined;
      },
      10_000,
    );
    assert.equal(listed, 2);
    assert.equal(scraped.families.get('kiln3d_sidecar_restarts_total')?.type, 'COUNTER');
    assert.equal(value(scraped, 'kiln3d_sidecar_restarts_total'), 0);
    // The inflate engine runs on the CPU: its Health reports no VRAM.
    assert.equal(value(scraped, 'kiln3d_sidecar_vram_used_bytes'), 0);
    assert.equal(scraped.families.get('kiln3d_tasks_finished_total')?.type, 'COUNTER');
    assert.equal(total(scraped, 'kiln3d_tasks_finished_total'), 0);
    assert.equal(scraped.families.get('kiln3d_job_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(scraped.families.get('kiln3d_stage_duration_seconds')?.type, 'HISTOGRAM');
  });

  void it('METRICS_TOKEN: 401 without the bearer token or with another, 200 with it', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const response = await getJson(`${b.url}/metrics`, { headers });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { success: false, error: 'Unauthorized', code: 'unauthorized' });
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    }
    await scrape(b, TOKEN);
  });

  void it('after one inflate job and one cancelled task: counted once across both processes, with durations', async () => {
    const done = await upload<{ success: boolean; generation_time: number; task_id: string }>(
      a.url,
      sample('typical_misc_lantern.png'),
      { filename: 'lantern.png', query: '?wait=true' },
    );
    assert.equal(done.status, 200, JSON.stringify(done.body));
    // A second task, cancelled at once (while queued or just started): failed with 409.
    const second = await upload<{ task_id: string }>(a.url, sample('typical_misc_lantern.png'), {
      filename: 'l.png',
    });
    assert.equal(second.status, 202);
    const cancel = await cancelTask(a.url, second.body.task_id);
    assert.ok(cancel.status < 300, String(cancel.status));

    const finished = 'kiln3d_tasks_finished_total';
    const both = async (): Promise<[Scrape, Scrape]> => Promise.all([scrape(a), scrape(b, TOKEN)]);
    let [sa, sb] = await both();
    // The listeners record asynchronously (after a Redis claim): wait for both outcomes.
    for (let i = 0; i < 100 && total(sa, finished) + total(sb, finished) < 2; i++) {
      await sleep(100);
      [sa, sb] = await both();
    }
    await sleep(300); // a double count, were there one, would show by now
    [sa, sb] = await both();
    const sum = (labels: Record<string, string>): number =>
      total(sa, finished, labels) + total(sb, finished, labels);
    assert.equal(sum({ outcome: 'completed', http_status: '200' }), 1);
    assert.equal(sum({ outcome: 'failed', http_status: '409' }), 1);
    assert.equal(sum({}), 2);

    // The process that counted the completed task has its duration and stages.
    const counter = total(sa, finished, { outcome: 'completed' }) === 1 ? sa : sb;
    const job = (suffix: string, labels: Record<string, string> = {}): number | undefined =>
      value(counter, `kiln3d_job_duration_seconds${suffix}`, { outcome: 'completed', ...labels });
    assert.equal(job('_count'), 1);
    assert.equal(job('_bucket', { le: '+Inf' }), 1);
    const jobSum = job('_sum') ?? 0;
    assert.ok(
      Math.abs(jobSum - done.body.generation_time) < 0.011,
      `${jobSum} vs ${done.body.generation_time}`,
    );
    const stageCounts = counter.samples.filter(
      (m) => m.name === 'kiln3d_stage_duration_seconds_count' && m.value > 0,
    );
    const stages = stageCounts.map((m) => m.labels['stage']);
    assert.ok(stages.includes('preprocess'), JSON.stringify(stages));
    for (const stage of stages)
      assert.ok(['preprocess', 'structure', 'geometry', 'texture', 'export'].includes(stage), stage);
    const stageSum = total(counter, 'kiln3d_stage_duration_seconds_sum');
    assert.ok(
      stageSum > 0 && stageSum <= done.body.generation_time + 0.05,
      `${stageSum} vs ${done.body.generation_time}`,
    );

    // The sidecar that ran the job counts it; the queue is empty again.
    assert.ok(total(sa, 'kiln3d_sidecar_jobs_done') + total(sb, 'kiln3d_sidecar_jobs_done') >= 1);
    assert.equal(value(sa, 'kiln3d_queue_jobs', { state: 'waiting' }), 0);
  });

  void it("a restart of the sidecar by the api's supervisor is counted", async () => {
    const restart = await fetch(`${a.url}/api/admin/inference/restart?force=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(restart.status, 202);
    let scraped = await scrape(a);
    for (let i = 0; i < 150; i++) {
      if (
        value(scraped, 'kiln3d_sidecar_restarts_total') === 1 &&
        value(scraped, 'kiln3d_sidecar_state', { state: 'ready' }) === 1
      )
        break;
      await sleep(100);
      scraped = await scrape(a);
    }
    assert.equal(value(scraped, 'kiln3d_sidecar_restarts_total'), 1);
    assert.equal(value(scraped, 'kiln3d_sidecar_state', { state: 'ready' }), 1);
    // A new sidecar process: its own job count starts again.
    assert.equal(value(scraped, 'kiln3d_sidecar_jobs_done'), 0);
    // The other process's sidecar was not restarted.
    assert.equal(value(await scrape(b, TOKEN), 'kiln3d_sidecar_restarts_total'), 0);
  });

  void it('/metrics is not the web app, and is left out of the OpenAPI document', async () => {
    const docs = await getJson<{ paths: Record<string, unknown> }>(`${a.url}/api/docs-json`);
    assert.equal(docs.status, 200);
    assert.equal(
      Object.keys(docs.body.paths).some((p) => p.includes('metrics')),
      false,
    );
    const head = await fetch(`${a.url}/metrics`, { method: 'POST' });
    assert.equal(head.status, 404);
  });
});
