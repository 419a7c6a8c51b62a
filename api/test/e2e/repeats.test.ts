/**
 * End to end: instant repeats through the built api and a real inflate sidecar. A repeat of a
 * completed model answers at once with a completed task naming the same files (no job: the
 * sidecar's job count stays), restarting their retention; a different option misses; identical
 * requests at once share one task.
 */
import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ApiProcess, useApi } from '../support/api-process';
import { followToEnd, getJson, postPicture, sample } from '../support/http-client';

const PNG = sample('typical_misc_lantern.png');

async function post(api: ApiProcess, fields: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await postPicture(api.url, PNG, fields);
  assert.equal(response.status, 202);
  return (await response.json()) as Record<string, unknown>;
}

async function jobsDone(api: ApiProcess): Promise<number> {
  const health = (await getJson(`${api.url}/api/health`)).body;
  return Number((health['inference'] as Record<string, unknown>)['jobs_done']);
}

void describe('instant repeats end to end (inflate engine)', () => {
  const api = useApi('e2e-repeats', { env: { INFERENCE_ENGINE: 'inflate', INSTANT_REPEATS: 'on' } });
  const { staticDir } = api;

  void it('identical requests at once share one task; a later repeat is completed at once with the same files', async () => {
    const [a, b] = await Promise.all([post(api, { seed: '5' }), post(api, { seed: '5' })]);
    assert.equal(a['task_id'], b['task_id'], 'one task for both');
    const first = String(a['task_id']);
    const events = await followToEnd(api.url, first);
    assert.equal(events[events.length - 1].event, 'completed');
    const original = (await getJson(`${api.url}/api/tasks/${first}`)).body;
    const jobs = await jobsDone(api);
    assert.equal(jobs, 1, 'one job ran for the two requests');

    // Age the files as the retention sweep would see them after a day.
    const files = [`${first}.glb`, `${first}.source.glb`].map((name) => join(staticDir, name));
    const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
    for (const file of files) utimesSync(file, dayAgo, dayAgo);

    const started = Date.now();
    const repeat = await post(api, { seed: '5' });
    const repeatId = String(repeat['task_id']);
    assert.notEqual(repeatId, first);
    const task = (await getJson(`${api.url}/api/tasks/${repeatId}`)).body;
    const answeredMs = Date.now() - started;
    assert.equal(task['status'], 'completed', JSON.stringify(task));
    assert.equal(task['reused'], true);
    assert.equal(task['reused_from'], first);
    assert.equal(task['model_url'], original['model_url']);
    assert.equal(task['download_url'], original['download_url']);
    assert.deepEqual(task['options'], original['options']);
    assert.equal(await jobsDone(api), jobs, 'no sidecar call');
    for (const file of files) assert.ok(statSync(file).mtimeMs > Date.now() - 60_000, 'retention restarted');
    const sse = await followToEnd(api.url, repeatId);
    assert.deepEqual(
      sse.map((e) => e.event),
      ['completed'],
    );
    console.log(`# repeat answered in ${answeredMs} ms (POST + GET)`);

    // A different option is another request: a job runs.
    const other = String((await post(api, { seed: '6' }))['task_id']);
    assert.equal((await followToEnd(api.url, other)).at(-1)?.event, 'completed');
    assert.equal(await jobsDone(api), jobs + 1);
    const otherTask = (await getJson(`${api.url}/api/tasks/${other}`)).body;
    assert.equal(otherTask['reused'], undefined);
    assert.notEqual(otherTask['model_url'], original['model_url']);
  });
});

void describe('instant repeats while the queue is full (simulate engine, MAX_QUEUE=1)', () => {
  const api = useApi('e2e-repeats-full', {
    env: { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '4', MAX_QUEUE: '1', INSTANT_REPEATS: 'on' },
  });

  const send = (seed: string): Promise<Response> => postPicture(api.url, PNG, { seed });

  void it('a repeat of a kept model or of a waiting task is answered; any other request gets 503', async () => {
    const kept = (await (await send('5')).json()) as { task_id: string };
    const events = await followToEnd(api.url, kept.task_id);
    assert.equal(events[events.length - 1].event, 'completed');
    const running = (await (await send('6')).json()) as { task_id: string };
    const waiting = (await (await send('7')).json()) as { task_id: string };
    const busy = await send('8');
    assert.equal(busy.status, 503, 'full: 1 running + MAX_QUEUE waiting');
    assert.ok(busy.headers.get('retry-after'));

    const repeat = await send('5');
    assert.equal(repeat.status, 202, 'a repeat needs no slot');
    const repeatId = ((await repeat.json()) as { task_id: string }).task_id;
    const task = (await getJson(`${api.url}/api/tasks/${repeatId}`)).body;
    assert.deepEqual(
      [task['status'], task['reused'], task['reused_from']],
      ['completed', true, kept.task_id],
    );

    const shared = await send('7');
    assert.equal(shared.status, 202);
    assert.equal(
      ((await shared.json()) as { task_id: string }).task_id,
      waiting.task_id,
      'the waiting task itself',
    );

    const queue = (await getJson(`${api.url}/api/health`)).body['queue'] as Record<string, number>;
    assert.equal(queue['slots_held'], 2, 'the repeats took no slot');
    for (const id of [waiting.task_id, running.task_id]) {
      assert.equal((await fetch(`${api.url}/api/tasks/${id}`, { method: 'DELETE' })).status, 200);
    }
  });
});
