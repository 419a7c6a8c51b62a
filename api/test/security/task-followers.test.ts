/**
 * Security suite: instant repeats of an unfinished job (issue 19). Two clients on different
 * loopback addresses (127.0.0.1 and 127.0.0.2) send the same picture while the first one's job
 * is queued or running: the second gets a task of its own that follows the one shared job (the
 * GPU runs it once: the sidecar's jobs_done), one person's cancel fails only their own task, and
 * the job stops only when every task following it is cancelled.
 * Played against the real api process with a real simulate sidecar, over real HTTP.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi, useApi } from '../support/api-process';
import { clearKilnKeys, sleep, tempDir } from '../support/env';
import { getJson, readSse, sample } from '../support/http-client';
import { sendPicture, sendRaw } from '../support/raw-http';

const MAKER = '127.0.0.1';
const STRANGER = '127.0.0.2';
const SIMULATE_SECONDS = 4;

interface Made {
  task_id: string;
  task_token: string;
  queue_position: number;
}

/** The elephant with this seed (a picture no other test sends), to `url` from `address`; the 202's body and text. */
async function send(url: string, seed: string, address: string): Promise<{ made: Made; text: string }> {
  const reply = await sendPicture(url, sample('typical_creature_elephant.png'), {
    filename: 'elephant.png',
    fields: { seed },
    localAddress: address,
  });
  assert.equal(reply.status, 202, reply.body);
  return { made: JSON.parse(reply.body) as Made, text: reply.body };
}

/** DELETE /api/tasks/{id} as its maker (its token), to `url` from `address`. */
function cancel(url: string, made: Made, address: string): Promise<{ status: number; body: string }> {
  return sendRaw(`${url}/api/tasks/${made.task_id}`, {
    method: 'DELETE',
    headers: { 'X-Task-Token': made.task_token },
    localAddress: address,
  });
}

void describe('security: a stranger repeats a picture whose job is unfinished (INSTANT_REPEATS=on)', () => {
  const api = useApi('security-followers', {
    env: { SIMULATE_SECONDS: String(SIMULATE_SECONDS), INSTANT_REPEATS: 'on', MAX_QUEUE: '20' },
  });

  /** The sidecar's "task <id>: end after ..." lines (the api forwards its log): one per job it ran for that id. */
  function sidecarEnds(id: string): string[] {
    return api
      .output()
      .split('\n')
      .filter((line) => line.includes(`task ${id}: end after`));
  }

  async function health(): Promise<{ jobsDone: number; slotsHeld: number }> {
    const body = (await getJson(`${api.url}/api/health`)).body;
    const inference = body['inference'] as Record<string, unknown>;
    const queue = body['queue'] as Record<string, unknown>;
    return { jobsDone: Number(inference['jobs_done']), slotsHeld: Number(queue['slots_held']) };
  }

  void it("attack: a stranger sends the same picture while the maker's job runs -> its 202 is a task of its own following it: the same figures and stages, the same model; the sidecar ran one job; nothing names the maker's task", async () => {
    const before = await health();
    const maker = await send(api.url, '31', MAKER);
    const stranger = await send(api.url, '31', STRANGER);
    assert.notEqual(stranger.made.task_id, maker.made.task_id);
    assert.notEqual(stranger.made.task_token, maker.made.task_token);
    assert.equal(stranger.made.queue_position, maker.made.queue_position, 'the same place in the queue');
    const [mine, theirs] = await Promise.all(
      [maker, stranger].map((m) => readSse(`${api.url}/api/status/${m.made.task_id}`, { timeoutMs: 60_000 })),
    );
    for (const read of [mine, theirs]) assert.equal(read.events.at(-1)?.event, 'completed', read.body);
    const stages = (read: typeof mine): string[] =>
      read.events.filter((e) => e.event === 'processing').map((e) => String(e.data['stage']));
    assert.ok(stages(theirs).length > 0, "the stranger sees the job's progress");
    assert.deepEqual(new Set(stages(theirs)), new Set(stages(mine)), 'the same stages');
    const [a, b] = await Promise.all(
      [maker, stranger].map(async (m) => (await getJson(`${api.url}/api/tasks/${m.made.task_id}`)).body),
    );
    assert.equal(b['model_url'], a['model_url'], 'one model, named by the job model id');
    assert.equal(b['download_url'], a['download_url']);
    assert.ok((await fetch(String(b['model_url']))).ok, 'served');
    const after = await health();
    assert.equal(after.jobsDone, before.jobsDone + 1, 'the GPU ran the picture once');
    assert.equal(sidecarEnds(maker.made.task_id).length, 1);
    assert.deepEqual(sidecarEnds(stranger.made.task_id), [], 'no job of the stranger');
    assert.equal(after.slotsHeld, 0);
    const leaks = [stranger.text, theirs.body, JSON.stringify(b)].filter((t) =>
      t.includes(maker.made.task_id),
    );
    assert.deepEqual(leaks, [], "an answer to the stranger names the maker's task");
  });

  void it("attack: the stranger cancels its repeat -> 409 task_cancelled for its task only; the maker's job runs on and completes; one job ran", async () => {
    const before = await health();
    const maker = await send(api.url, '32', MAKER);
    const stranger = await send(api.url, '32', STRANGER);
    const watched = readSse(`${api.url}/api/status/${stranger.made.task_id}`, { timeoutMs: 60_000 });
    const cancelled = await cancel(api.url, stranger.made, STRANGER);
    assert.equal(cancelled.status, 200, cancelled.body);
    const state = JSON.parse(cancelled.body) as Record<string, unknown>;
    assert.deepEqual(
      [state['status'], state['error_code'], state['http_status']],
      ['failed', 'task_cancelled', 409],
    );
    assert.ok(!cancelled.body.includes(maker.made.task_id), cancelled.body);
    const theirs = await watched;
    assert.equal(theirs.events.at(-1)?.event, 'failed', theirs.body);
    const mine = await readSse(`${api.url}/api/status/${maker.made.task_id}`, { timeoutMs: 60_000 });
    assert.equal(mine.events.at(-1)?.event, 'completed', "the maker's job survives the stranger's cancel");
    const again = await cancel(api.url, stranger.made, STRANGER);
    assert.equal(again.status, 409, 'finished: as any cancel of a finished task');
    const after = await health();
    assert.equal(after.jobsDone, before.jobsDone + 1, 'one job ran');
    assert.equal(after.slotsHeld, 0);
  });

  for (const order of ['maker first', 'stranger first'] as const) {
    void it(`both cancel (${order}) -> the job stops: no job runs to completion, its slot goes back`, async () => {
      const before = await health();
      const maker = await send(api.url, order === 'maker first' ? '33' : '34', MAKER);
      const stranger = await send(api.url, order === 'maker first' ? '33' : '34', STRANGER);
      // Let the job start on the GPU: the last cancel must abort it there.
      await sleep(1000);
      const sequence: [Made, string][] =
        order === 'maker first'
          ? [
              [maker.made, MAKER],
              [stranger.made, STRANGER],
            ]
          : [
              [stranger.made, STRANGER],
              [maker.made, MAKER],
            ];
      for (const [i, [made, address]] of sequence.entries()) {
        const reply = await cancel(api.url, made, address);
        assert.equal(reply.status, 200, reply.body);
        if (i === 0) {
          const other = (await getJson(`${api.url}/api/tasks/${sequence[1][0].task_id}`)).body;
          assert.ok(['queued', 'processing'].includes(String(other['status'])), 'the other still follows');
          assert.equal((await health()).slotsHeld, 1, 'the job holds its slot on');
        }
      }
      // Longer than the job would have taken: nothing completes.
      await sleep((SIMULATE_SECONDS + 2) * 1000);
      for (const made of [maker.made, stranger.made]) {
        const task = (await getJson(`${api.url}/api/tasks/${made.task_id}`)).body;
        assert.deepEqual([task['status'], task['error_code']], ['failed', 'task_cancelled']);
      }
      // The sidecar counts an aborted job as done too (jobs_done): its own log says how it ended.
      const ends = sidecarEnds(maker.made.task_id);
      assert.deepEqual(
        ends.filter((line) => line.includes(' done: ')),
        [],
        'the job ran to completion',
      );
      assert.ok(
        ends.every((line) => line.includes('CANCELLED')),
        ends.join('\n'),
      );
      assert.deepEqual(sidecarEnds(stranger.made.task_id), [], 'no job of the stranger');
      const after = await health();
      assert.ok(after.jobsDone <= before.jobsDone + 1, 'at most the aborted job');
      assert.equal(after.slotsHeld, 0, 'the slot went back');
    });
  }
});

/**
 * The same across api processes on one Redis (docs/scale-out.md): the maker's job runs on a
 * process with the sidecar, the stranger talks to an api-only one (KILN_ROLE=api) sharing its
 * model folder. Job events reach the follower through Redis pub/sub; the last cancel, made on the
 * api-only process, aborts the job where it runs.
 */
void describe('security: a follower on another api process (one Redis)', () => {
  const dir = tempDir('security-followers-scale');
  const staticDir = join(dir.path, 'static');
  const env = { SIMULATE_SECONDS: String(SIMULATE_SECONDS), INSTANT_REPEATS: 'on', MAX_QUEUE: '20' };
  let worker: ApiProcess;
  let apiOnly: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    worker = await startApi({ staticDir, logDir: join(dir.path, 'worker-logs'), env });
    apiOnly = await startApi({
      staticDir,
      logDir: join(dir.path, 'api-logs'),
      env: { ...env, KILN_ROLE: 'api' },
      waitReady: false,
    });
  });
  after(async () => {
    await Promise.all([worker?.stop(), apiOnly?.stop()]);
    await clearKilnKeys();
    dir.remove();
  });

  void it('the stranger on the api-only process follows the job run elsewhere to its model; then both cancel a second job and it stops where it runs', async () => {
    const maker = (await send(worker.url, '41', MAKER)).made;
    const stranger = (await send(apiOnly.url, '41', STRANGER)).made;
    assert.notEqual(stranger.task_id, maker.task_id);
    const theirs = await readSse(`${apiOnly.url}/api/status/${stranger.task_id}`, { timeoutMs: 60_000 });
    assert.ok(
      theirs.events.some((e) => e.event === 'processing'),
      'the progress of a job on another process',
    );
    assert.equal(theirs.events.at(-1)?.event, 'completed', theirs.body);
    const mine = (await getJson(`${worker.url}/api/tasks/${maker.task_id}`)).body;
    const path = (url: unknown): string => new URL(String(url)).pathname;
    assert.equal(path(theirs.events.at(-1)?.data['model_url']), path(mine['model_url']), 'the same model');
    assert.ok(!theirs.body.includes(maker.task_id), "the stream names the maker's task");
    const lines = (id: string) =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.includes(`task ${id}: end after`));
    assert.equal(lines(maker.task_id).length, 1, 'one job');
    assert.deepEqual(lines(stranger.task_id), [], 'none of the stranger');

    const second = (await send(worker.url, '42', MAKER)).made;
    const follower = (await send(apiOnly.url, '42', STRANGER)).made;
    await sleep(1000);
    assert.equal((await cancel(worker.url, second, MAKER)).status, 200);
    const running = (await getJson(`${apiOnly.url}/api/tasks/${follower.task_id}`)).body;
    assert.ok(
      ['queued', 'processing'].includes(String(running['status'])),
      'the job runs on for the stranger',
    );
    assert.equal((await cancel(apiOnly.url, follower, STRANGER)).status, 200);
    await sleep((SIMULATE_SECONDS + 2) * 1000);
    const ends = lines(second.task_id);
    assert.deepEqual(
      ends.filter((line) => line.includes(' done: ')),
      [],
      'the job ran to completion',
    );
    for (const made of [second, follower]) {
      const task = (await getJson(`${worker.url}/api/tasks/${made.task_id}`)).body;
      assert.deepEqual([task['status'], task['error_code']], ['failed', 'task_cancelled']);
    }
  });
});
