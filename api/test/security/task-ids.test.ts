/**
 * Security suite: no task id reaches anyone but its maker (issue 19). The public health and the
 * metrics name no task while one runs (an operator reads them behind ADMIN_TOKEN); a stranger
 * who uploads the same picture as someone else gets a task of its own whose answers (the 202,
 * the snapshot, the events, the model URLs and files, ?wait=true) name nothing of the first
 * maker's task and do not tell that someone else sent the picture.
 * Played against the real api process with a real simulate sidecar, over real HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { sleep } from '../support/env';
import { getJson, postPicture, readSse, sample, upload } from '../support/http-client';

const PNG = sample('typical_misc_lantern.png');
const ADMIN_TOKEN = 'task-ids-admin-token-0123456789';
const UNAUTHORIZED = { success: false, error: 'Unauthorized', code: 'unauthorized' };

interface Worker {
  state: string;
  task_id?: string | null;
}

void describe('security: task ids in the health and the metrics', () => {
  const api = useApi('security-task-ids', { env: { SIMULATE_SECONDS: '6', ADMIN_TOKEN } });

  void it('attack: a stranger polls /api/health and /metrics while a job runs -> no task id in any answer', async () => {
    const made = await upload<{ task_id: string }>(api.url, PNG);
    assert.equal(made.status, 202);
    const id = made.body.task_id;
    const seen: string[] = [];
    let busySeen = 0;
    let namedToAdmin = false;
    for (;;) {
      const [health, metrics, admin, task] = await Promise.all([
        fetch(`${api.url}/api/health`).then((r) => r.text()),
        fetch(`${api.url}/metrics`).then((r) => r.text()),
        getJson<{ workers: Worker[] }>(`${api.url}/api/admin/health`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        }),
        getJson(`${api.url}/api/tasks/${id}`),
      ]);
      seen.push(health, metrics);
      const workers = (JSON.parse(health) as { workers: Worker[] }).workers;
      if (workers.some((w) => w.state === 'busy')) busySeen++;
      if (admin.body.workers.some((w) => w.task_id === id)) namedToAdmin = true;
      if (task.body['status'] === 'completed' || task.body['status'] === 'failed') break;
      await sleep(250);
    }
    assert.ok(busySeen >= 3, `polled while the job ran (${busySeen} busy answers)`);
    assert.ok(namedToAdmin, 'the operator sees which task runs (so a leak would have been seen)');
    const leaks = seen.filter((body) => body.includes(id));
    assert.equal(leaks.length, 0, `answers naming the task: ${leaks.slice(0, 1).join('')}`);
  });

  void it('attack: a stranger asks for the operator health without or with a wrong token -> 401, no task named', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789' }] as Record<
      string,
      string
    >[]) {
      const refused = await getJson(`${api.url}/api/admin/health`, { headers });
      assert.deepEqual([refused.status, refused.body], [401, UNAUTHORIZED]);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="kiln3d-admin"');
    }
  });

  void it("attack: a stranger uses the ops console's routes (overview, pause, cleanup, cancel a running task) without or with a wrong token -> 401, nothing changes, no task named", async () => {
    const made = await upload<{ task_id: string }>(api.url, PNG);
    assert.equal(made.status, 202);
    const id = made.body.task_id;
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789' }] as Record<
      string,
      string
    >[]) {
      for (const [method, path] of [
        ['GET', '/api/admin/overview'],
        ['POST', '/api/admin/admissions/pause'],
        ['POST', '/api/admin/cleanup'],
        ['DELETE', `/api/admin/tasks/${id}`],
      ]) {
        const refused = await getJson(`${api.url}${path}`, { method, headers });
        assert.deepEqual([refused.status, refused.body], [401, UNAUTHORIZED], `${method} ${path}`);
      }
    }
    const overview = await getJson<{ admissions: { paused: boolean } }>(`${api.url}/api/admin/overview`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(overview.body.admissions.paused, false);
    const task = await getJson(`${api.url}/api/tasks/${id}`);
    assert.notEqual(task.body['cancelled'], true);
  });
});

/**
 * Everything a requester of task `id` can read about it, as text: the snapshot, the whole event
 * stream, the preview route, and each model URL's bytes (every file the snapshot names).
 */
async function everythingAbout(
  url: string,
  id: string,
): Promise<{ snapshot: Record<string, unknown>; texts: string[] }> {
  const events = await readSse(`${url}/api/status/${id}`, { timeoutMs: 60_000 });
  assert.ok(events.endedByServer, `the stream of ${id} ended`);
  const snapshot = (await getJson(`${url}/api/tasks/${id}`)).body;
  const texts = [
    events.body,
    JSON.stringify(snapshot),
    await fetch(`${url}/api/tasks/${id}/preview`).then((r) => r.text()),
  ];
  for (const key of ['model_url', 'download_url']) {
    const model = await fetch(String(snapshot[key]));
    assert.equal(model.status, 200, `${key} is served`);
    texts.push(String(snapshot[key]), Buffer.from(await model.arrayBuffer()).toString('latin1'));
  }
  return { snapshot, texts };
}

void describe('security: a stranger uploads the same picture as someone else (instant repeats on)', () => {
  const api = useApi('security-repeat-ids', { env: { SIMULATE_SECONDS: '3', INSTANT_REPEATS: 'on' } });

  void it("attack: a stranger repeats a kept model -> a task of its own; nothing names the maker's task or tells that someone else sent it", async () => {
    const maker = await postPicture(api.url, PNG, { seed: '11' });
    assert.equal(maker.status, 202);
    const makerId = ((await maker.json()) as { task_id: string }).task_id;
    const first = await everythingAbout(api.url, makerId);
    assert.equal(first.snapshot['status'], 'completed', JSON.stringify(first.snapshot));

    const accepted = await postPicture(api.url, PNG, { seed: '11' });
    const acceptedText = await accepted.text();
    assert.equal(accepted.status, 202, acceptedText);
    const strangerId = (JSON.parse(acceptedText) as { task_id: string }).task_id;
    assert.notEqual(strangerId, makerId);
    const repeat = await everythingAbout(api.url, strangerId);
    assert.equal(repeat.snapshot['status'], 'completed');
    assert.equal(
      repeat.snapshot['model_url'],
      first.snapshot['model_url'],
      'a repeat: the kept model, no job',
    );
    const waited = await postPicture(api.url, PNG, { seed: '11' }, '?wait=true');
    const waitedText = await waited.text();
    assert.equal(waited.status, 200, waitedText);

    const answers = [acceptedText, waitedText, ...repeat.texts];
    assert.deepEqual(
      answers.filter((text) => text.includes(makerId)),
      [],
      "an answer names the first maker's task",
    );
    // Nothing tells it came from someone else's upload: no field the maker's own snapshot lacks.
    const extra = Object.keys(repeat.snapshot).filter((key) => !(key in first.snapshot));
    assert.deepEqual(extra, [], 'fields only a repeat has');
    for (const key of ['reused', 'reused_from', 'model_id']) assert.ok(!(key in repeat.snapshot), key);
  });

  void it("attack: a stranger sends the same picture while the maker's task runs -> a task of its own following the job (the same model, named by its model id); nothing names the maker's", async () => {
    const maker = await postPicture(api.url, PNG, { seed: '12' });
    assert.equal(maker.status, 202);
    const makerId = ((await maker.json()) as { task_id: string }).task_id;
    const accepted = await postPicture(api.url, PNG, { seed: '12' });
    const acceptedText = await accepted.text();
    assert.equal(accepted.status, 202, acceptedText);
    const strangerId = (JSON.parse(acceptedText) as { task_id: string }).task_id;
    assert.notEqual(strangerId, makerId);
    const stranger = await everythingAbout(api.url, strangerId);
    assert.equal(stranger.snapshot['status'], 'completed', JSON.stringify(stranger.snapshot));
    const first = await everythingAbout(api.url, makerId);
    assert.equal(first.snapshot['status'], 'completed');
    assert.equal(stranger.snapshot['model_url'], first.snapshot['model_url'], "the shared job's model");
    assert.deepEqual(
      [acceptedText, ...stranger.texts].filter((text) => text.includes(makerId)),
      [],
      "an answer names the first maker's task",
    );
  });
});
