/**
 * End to end: instant repeats through the built api and a real inflate sidecar. A repeat of a
 * completed model answers at once with a completed task naming the same files (no job: the
 * sidecar's job count stays), restarting their retention, as a task of the requester's own (its
 * id and token; nothing names the task it came from); a different option misses; an identical
 * request while the first is unfinished is a task of its own following the first one's job (one
 * sidecar job, the same model), never one person's task handed to another (issue 19).
 */
import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ApiProcess, useApi } from '../support/api-process';
import { cancelTask, followToEnd, getJson, postPicture, rememberTask, sample } from '../support/http-client';

const PNG = sample('typical_misc_lantern.png');

async function post(api: ApiProcess, fields: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await postPicture(api.url, PNG, fields);
  assert.equal(response.status, 202);
  return rememberTask((await response.json()) as Record<string, unknown>);
}

async function jobsDone(api: ApiProcess): Promise<number> {
  const health = (await getJson(`${api.url}/api/health`)).body;
  return Number((health['inference'] as Record<string, unknown>)['jobs_done']);
}

void describe('instant repeats end to end (inflate engine)', () => {
  const api = useApi('e2e-repeats', { env: { INFERENCE_ENGINE: 'inflate', INSTANT_REPEATS: 'on' } });
  const { staticDir } = api;

  void it('an identical request while the first is unfinished is a task of its own on the same job; a later repeat is completed at once with the same files', async () => {
    // One after the other (the second while the first is queued or running): two uploads whose
    // repeat checks overlap in time may still make two jobs (docs/design.md, Instant repeats).
    const a = await post(api, { seed: '5' });
    const b = await post(api, { seed: '5' });
    assert.notEqual(a['task_id'], b['task_id'], "nobody is handed another person's task");
    assert.notEqual(a['task_token'], b['task_token']);
    for (const made of [a, b]) {
      const events = await followToEnd(api.url, String(made['task_id']));
      assert.equal(events[events.length - 1].event, 'completed');
    }
    const jobs = await jobsDone(api);
    assert.equal(jobs, 1, 'one job for both: the second follows the first');
    const models = await Promise.all(
      [a, b].map(async (made) => (await getJson(`${api.url}/api/tasks/${String(made['task_id'])}`)).body),
    );
    assert.equal(models[1]['model_url'], models[0]['model_url'], 'the same model');
    assert.ok(!JSON.stringify(models[1]).includes(String(a['task_id'])), 'nothing names the first task');

    // Age the files as the retention sweep would see them after a day (named by their model ids).
    const files = models
      .flatMap((model) => [model['model_url'], model['download_url']])
      .map((url) => join(staticDir, String(url).split('/').pop() as string));
    for (const [i, model] of models.entries()) {
      assert.ok(
        !String(model['model_url']).includes(String([a, b][i]['task_id'])),
        'not named by the task id',
      );
    }
    const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
    for (const file of files) utimesSync(file, dayAgo, dayAgo);

    const started = Date.now();
    const repeat = await post(api, { seed: '5' });
    const repeatId = String(repeat['task_id']);
    assert.ok(![a['task_id'], b['task_id']].includes(repeatId), 'a task of its own');
    assert.match(String(repeat['task_token']), /^[A-Za-z0-9_-]{43}$/);
    const task = (await getJson(`${api.url}/api/tasks/${repeatId}`)).body;
    const answeredMs = Date.now() - started;
    assert.equal(task['status'], 'completed', JSON.stringify(task));
    assert.equal(task['generation_time'], 0, 'no job ran');
    assert.deepEqual(
      [task['reused'], task['reused_from']],
      [undefined, undefined],
      'nothing says it is a repeat',
    );
    // Its files are named by their model id: nothing names the task it came from (issue 19).
    for (const made of [a, b]) assert.ok(!JSON.stringify(task).includes(String(made['task_id'])));
    const original = models.find((model) => model['model_url'] === task['model_url']);
    assert.ok(original, "the repeat names one of the two models' files");
    assert.equal(task['download_url'], original['download_url']);
    assert.deepEqual(task['options'], original['options']);
    assert.equal(await jobsDone(api), jobs, 'no sidecar call');
    const kept = [original['model_url'], original['download_url']].map((url) =>
      join(staticDir, String(url).split('/').pop() as string),
    );
    for (const file of kept) assert.ok(statSync(file).mtimeMs > Date.now() - 60_000, 'retention restarted');
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
    assert.notEqual(otherTask['generation_time'], 0);
    assert.ok(!models.some((model) => model['model_url'] === otherTask['model_url']));
  });
});

void describe('instant repeats while the queue is full (simulate engine, MAX_QUEUE=1)', () => {
  const api = useApi('e2e-repeats-full', {
    env: { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '4', MAX_QUEUE: '1', INSTANT_REPEATS: 'on' },
  });

  const send = (seed: string): Promise<Response> => postPicture(api.url, PNG, { seed });

  void it('a repeat of a kept model is answered; a repeat of a waiting task follows its job (no slot), while any other request gets 503', async () => {
    const kept = rememberTask((await (await send('5')).json()) as { task_id: string });
    const events = await followToEnd(api.url, kept.task_id);
    assert.equal(events[events.length - 1].event, 'completed');
    const running = rememberTask((await (await send('6')).json()) as { task_id: string });
    const waiting = rememberTask((await (await send('7')).json()) as { task_id: string });
    const busy = await send('8');
    assert.equal(busy.status, 503, 'full: 1 running + MAX_QUEUE waiting');
    assert.ok(busy.headers.get('retry-after'));

    const repeat = await send('5');
    assert.equal(repeat.status, 202, 'a repeat needs no slot');
    const repeatId = ((await repeat.json()) as { task_id: string }).task_id;
    const task = (await getJson(`${api.url}/api/tasks/${repeatId}`)).body;
    assert.deepEqual([task['status'], task['generation_time']], ['completed', 0], 'answered at once');

    const sameAsWaiting = await send('7');
    const sameText = await sameAsWaiting.text();
    assert.equal(sameAsWaiting.status, 202, 'a repeat of an unfinished job needs no slot');
    assert.ok(!sameText.includes(waiting.task_id), "another person's waiting task is never handed out");
    const follower = rememberTask(JSON.parse(sameText) as { task_id: string; queue_position: number });
    const followed = (await getJson(`${api.url}/api/tasks/${follower.task_id}`)).body;
    const waited = (await getJson(`${api.url}/api/tasks/${waiting.task_id}`)).body;
    assert.deepEqual(
      [followed['status'], followed['position'], followed['eta_s']],
      [waited['status'], waited['position'], waited['eta_s']],
      "the waiting job's place and ETA",
    );

    const queue = (await getJson(`${api.url}/api/health`)).body['queue'] as Record<string, number>;
    assert.equal(queue['slots_held'], 2, 'the repeats took no slot');
    for (const id of [waiting.task_id, follower.task_id, running.task_id]) {
      assert.equal((await cancelTask(api.url, id)).status, 200);
    }
  });
});
