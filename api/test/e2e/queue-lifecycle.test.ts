import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApiProcess, useApi } from '../support/api-process';
import { waitFor } from '../support/env';
import { followToEnd, getJson, makerHeaders, readSse, sample, upload } from '../support/http-client';
import { sidecarJobSpans } from '../support/sidecar-log';

const PNG = 'typical_misc_lantern.png';

interface Accepted {
  task_id: string;
  queue_position: number;
}

const submit = async (api: ApiProcess): Promise<string> => {
  const response = await upload<Accepted>(api.url, sample(PNG));
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body.task_id;
};

const statusOf = async (api: ApiProcess, id: string): Promise<Record<string, unknown>> =>
  (await getJson(`${api.url}/api/tasks/${id}`)).body;

void describe('queue, SSE and task lifecycle end to end (simulate engine)', () => {
  const api = useApi('e2e-queue', { env: { SIMULATE_SECONDS: '1.5', SSE_HEARTBEAT_S: '0.3' } });

  void it('runs tasks one at a time, first in first out, with positions counting down', async () => {
    const ids = [await submit(api), await submit(api), await submit(api)];
    const third = readSse(`${api.url}/api/status/${ids[2]}`, { timeoutMs: 30_000 });
    const finals = await Promise.all(ids.map((id) => followToEnd(api.url, id)));
    const records = finals.map((events) => events[events.length - 1].data);
    for (const r of records) assert.equal(r['status'], 'completed');
    const started = records.map((r) => Date.parse(String(r['started_at'])));
    assert.ok(started[0] < started[1] && started[1] < started[2], 'started in order');
    // One at a time on the sidecar, by its own log (a task's `completed` may come after the next
    // task started: its web model is made while the GPU runs the next job).
    const spans = await waitFor('the sidecar to log the three jobs', () => {
      const found = sidecarJobSpans(api.output()).filter((s) => ids.includes(s.taskId));
      return Promise.resolve(
        found.length === 3 && found.every((s) => s.end !== undefined) ? found : undefined,
      );
    });
    assert.deepEqual(
      spans.map((s) => s.taskId),
      ids,
      'the sidecar ran them first in first out',
    );
    for (let i = 1; i < 3; i++)
      assert.ok(spans[i].start >= (spans[i - 1].end ?? Infinity), 'never two at once');
    const positions = (await third).events.filter((e) => e.event === 'queued').map((e) => e.data['position']);
    // An ETA update alone (a new mean duration) repeats a position; the order is what counts.
    assert.deepEqual(
      positions.filter((p, i) => i === 0 || p !== positions[i - 1]),
      [2, 1],
    );
  });

  void it('SSE: retry field, heartbeats, unknown id 404 as JSON', async () => {
    const id = await submit(api);
    const read = await readSse(`${api.url}/api/status/${id}`, { timeoutMs: 30_000 });
    assert.equal(read.status, 200);
    assert.equal(read.retry, 3000);
    assert.ok(read.endedByServer, 'the stream ends after the terminal event');
    assert.ok(
      read.comments.some((c) => c.startsWith('heartbeat')),
      'a comment heartbeat (SSE_HEARTBEAT_S=0.3)',
    );
    // Status events only (a preview is named by the snapshot), each id once, in order.
    const ids = read.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    for (const e of read.events) assert.equal(e.event, e.data['status']);
    const unknown = await getJson(`${api.url}/api/status/0f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { success: false, error: 'Task not found', code: 'task_not_found' });
    const malformed = await getJson(`${api.url}/api/status/not-a-uuid`);
    assert.equal(malformed.status, 404);
  });

  void it('SSE: a reconnect with Last-Event-ID gets the current state first, then only newer events; after the end 204', async () => {
    const id = await submit(api);
    const first = await readSse(`${api.url}/api/status/${id}`, { stopAfterEvents: 2, timeoutMs: 30_000 });
    assert.equal(first.events.length, 2);
    assert.equal(first.endedByServer, false, 'we dropped it');
    const lastId = first.events[1].id;
    const resumed = await readSse(`${api.url}/api/status/${id}`, { lastEventId: lastId, timeoutMs: 30_000 });
    assert.ok(resumed.events.length >= 1);
    const current = resumed.events[0];
    assert.ok(current.id >= lastId, `current state ${current.id} first (Last-Event-ID ${lastId})`);
    const rest = resumed.events.slice(1).map((e) => e.id);
    for (const eventId of rest) assert.ok(eventId > current.id);
    assert.equal(resumed.events[resumed.events.length - 1].event, 'completed');
    // After the end, a reconnect that had the terminal event gets 204, which stops an EventSource.
    const terminalId = resumed.events[resumed.events.length - 1].id;
    for (const lastEventId of [terminalId, 999]) {
      const caughtUp = await fetch(`${api.url}/api/status/${id}`, {
        headers: { 'Last-Event-ID': String(lastEventId), Accept: 'text/event-stream' },
      });
      assert.equal(caughtUp.status, 204, `Last-Event-ID ${lastEventId}`);
      assert.equal(await caughtUp.text(), '');
    }
    // Without Last-Event-ID (a late viewer, curl) the finished task still gives its terminal event once.
    const late = await readSse(`${api.url}/api/status/${id}`, { timeoutMs: 10_000 });
    assert.deepEqual(
      late.events.map((e) => [e.id, e.event]),
      [[terminalId, 'completed']],
    );
    assert.ok(late.endedByServer);
  });

  void it('?wait=true holds the request and answers the model', async () => {
    const response = await upload<{
      success: boolean;
      model_url: string;
      share_url: string;
      generation_time: number;
      task_id: string;
    }>(api.url, sample(PNG), { query: '?wait=true' });
    assert.equal(response.status, 200);
    assert.equal(response.body.success, true);
    // Named by the model's own id, never by the task's (issue 19).
    assert.match(response.body.model_url, new RegExp(`^${api.url}/static/[0-9a-f-]{36}\\.glb$`));
    assert.ok(!response.body.model_url.includes(response.body.task_id));
    // Its share page, by the same model id.
    assert.equal(
      response.body.share_url,
      response.body.model_url.replace(/\/static\/([0-9a-f-]{36})\.glb$/, '/m/$1'),
    );
    assert.ok(response.body.generation_time > 0);
    assert.deepEqual(Object.keys(response.body).sort(), [
      'generation_time',
      'model_url',
      'share_url',
      'success',
      'task_id',
    ]);
  });

  void it('DELETE cancels a waiting task and a running one for their maker only (403 otherwise); both end failed/cancelled; 404 and 409 otherwise', async () => {
    const running = await submit(api);
    const waiting = await submit(api);
    await waitFor('the first to run', async () =>
      (await statusOf(api, running))['status'] === 'processing' ? true : undefined,
    );
    const stream = readSse(`${api.url}/api/status/${waiting}`, { timeoutMs: 20_000 });
    // A stranger (no token, or another task's) cannot cancel it: 403, and nothing changes.
    for (const headers of [{}, makerHeaders(running), { 'X-Task-Token': 'x'.repeat(43) }]) {
      const refused = await getJson(`${api.url}/api/tasks/${waiting}`, { method: 'DELETE', headers });
      assert.deepEqual(
        [refused.status, refused.body],
        [403, { success: false, error: 'Task token missing or wrong', code: 'task_token_required' }],
      );
    }
    assert.equal((await statusOf(api, waiting))['status'], 'queued');
    const cancelWaiting = await getJson(`${api.url}/api/tasks/${waiting}`, {
      method: 'DELETE',
      headers: makerHeaders(waiting),
    });
    assert.equal(cancelWaiting.status, 200);
    assert.equal(cancelWaiting.body['status'], 'failed');
    assert.equal(cancelWaiting.body['cancelled'], true);
    const cancelRunning = await getJson(`${api.url}/api/tasks/${running}`, {
      method: 'DELETE',
      headers: makerHeaders(running),
    });
    assert.equal(cancelRunning.status, 200);
    assert.equal(cancelRunning.body['error'], 'Task cancelled');
    assert.equal(cancelRunning.body['http_status'], 409);
    const events = (await stream).events;
    const last = events[events.length - 1];
    assert.equal(last.event, 'failed');
    assert.equal(last.data['cancelled'], true);
    const again = await getJson(`${api.url}/api/tasks/${running}`, {
      method: 'DELETE',
      headers: makerHeaders(running),
    });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      success: false,
      error: 'Task already finished',
      code: 'task_already_finished',
    });
    const unknown = await getJson(`${api.url}/api/tasks/0f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90`, {
      method: 'DELETE',
    });
    assert.equal(unknown.status, 404);
    // The queue goes on: a new task completes, and no GLB of the cancelled ones exists.
    const next = await submit(api);
    const done = await followToEnd(api.url, next);
    assert.equal(done[done.length - 1].event, 'completed');
    for (const id of [running, waiting])
      assert.equal((await fetch(`${api.url}/static/${id}.glb`)).status, 404);
  });

  void it('tasks survive an api crash: waiting ones and the interrupted one complete after a restart', async () => {
    const finishedBefore = await submit(api);
    await followToEnd(api.url, finishedBefore);
    const ids = [await submit(api), await submit(api), await submit(api)];
    await waitFor('the first to run', async () =>
      (await statusOf(api, ids[0]))['status'] === 'processing' ? true : undefined,
    );
    await api.kill();
    await api.restart();
    assert.equal((await statusOf(api, finishedBefore))['status'], 'completed', 'finished tasks are kept');
    for (const id of ids) {
      const events = await followToEnd(api.url, id, 90_000);
      assert.equal(
        events[events.length - 1].event,
        'completed',
        `${id}: ${JSON.stringify(events[events.length - 1])}`,
      );
    }
  });

  void it('a graceful stop (SIGTERM) mid-job puts the job back; the next start completes it', async () => {
    const id = await submit(api);
    await waitFor('it to run', async () =>
      (await statusOf(api, id))['status'] === 'processing' ? true : undefined,
    );
    await api.stop();
    await api.restart();
    const events = await followToEnd(api.url, id, 60_000);
    assert.equal(events[events.length - 1].event, 'completed');
  });
});
