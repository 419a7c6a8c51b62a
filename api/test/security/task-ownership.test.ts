import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { sleep } from '../support/env';
import { followToEnd, readSse, sample } from '../support/http-client';
import { sendPicture, sendRaw } from '../support/raw-http';
import { attackVolume, postPicture } from './support';

/** The stranger's address: another loopback alias, so the api counts it as another client. */
const STRANGER = '127.0.0.2';
const TASK_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Made {
  task_id: string;
  task_token: string;
}

function made(body: string): Made {
  const parsed = JSON.parse(body) as Partial<Made>;
  assert.ok(typeof parsed.task_id === 'string' && typeof parsed.task_token === 'string', body);
  return { task_id: parsed.task_id, task_token: parsed.task_token };
}

/** Every task id a body names. */
const idsIn = (body: string): string[] => [...body.matchAll(TASK_ID)].map((m) => m[0]);

/**
 * Tasks are capabilities (issue 19): a task id is enough to watch a task (a share link), never to
 * change it. A stranger on another address plays against a maker's tasks on the real api and its
 * real sidecar (simulate engine: each job a few seconds of real gRPC streaming).
 */
void describe('security: task ownership', () => {
  const api = useApi('security-ownership', {
    env: { SIMULATE_SECONDS: '3', INSTANT_REPEATS: 'on', MAX_QUEUE: '20' },
  });

  void it("attack: poll health, metrics and every answer for task ids while others' jobs run, and cancel each one found (no token, a made-up one, the stranger's own) -> every cancel 403, every job completes", async () => {
    // Two tasks of the maker's (the lantern twice: two tasks of their own following one job, issue 19).
    const maker = [made((await postPicture(api.url)).body), made((await postPicture(api.url)).body)];
    const own = made((await postPicture(api.url, {}, STRANGER)).body);
    const strangerTokens = [undefined, randomBytes(32).toString('base64url'), own.task_token];
    const tried = new Set<string>();
    let cancels = 0;
    /** The stranger's cancels of `id`: 403 for a task, 404 for an id that names no task (a worker's, say). */
    const refuse = async (id: string): Promise<void> => {
      for (const token of strangerTokens) {
        const reply = await sendRaw(`${api.url}/api/tasks/${id}`, {
          method: 'DELETE',
          headers: token === undefined ? {} : { 'X-Task-Token': token },
          localAddress: STRANGER,
        });
        cancels++;
        const { code } = JSON.parse(reply.body) as { code: string };
        assert.deepEqual(
          [reply.status, code],
          maker.some((m) => m.task_id === id) ? [403, 'task_token_required'] : [404, 'task_not_found'],
          `${id}: ${reply.body}`,
        );
      }
    };
    const finished = Promise.all(maker.map((m) => followToEnd(api.url, m.task_id, 90_000)));
    let done = false;
    void finished.then(() => (done = true));
    let polls = 0;
    while (!done) {
      for (const path of [
        '/api/health',
        '/metrics',
        `/api/tasks/${own.task_id}`,
        '/api/config',
        '/api/qualities',
      ]) {
        const reply = await sendRaw(`${api.url}${path}`, { localAddress: STRANGER });
        polls++;
        for (const id of idsIn(reply.body)) {
          if (id === own.task_id || tried.has(id)) continue;
          tried.add(id);
          await refuse(id);
        }
      }
      await sleep(attackVolume(200, 50));
    }
    // A share link hands the id over: with it the stranger still changes nothing.
    for (const m of maker) {
      for (let round = 0; round < attackVolume(1, 10); round++) await refuse(m.task_id);
    }
    for (const events of await finished) assert.equal(events[events.length - 1].event, 'completed');
    const found = maker.filter((m) => tried.has(m.task_id)).map((m) => m.task_id);
    assert.deepEqual(found, [], `public answers named the maker's tasks to a stranger`);
    assert.ok(
      polls > 0 && cancels >= maker.length * strangerTokens.length,
      `${polls} polls, ${cancels} cancels`,
    );
  });

  void it("attack: upload the same picture as a running task and cancel it (the repeat takeover) -> the stranger gets a task of its own, nothing names the maker's, the maker's job completes", async () => {
    // A picture no other test here sends: no kept model of it, so the repeat meets a running task.
    const send = (localAddress?: string) =>
      sendPicture(api.url, sample('typical_creature_elephant.png'), {
        filename: 'elephant.png',
        localAddress,
      });
    const first = made((await send()).body);
    const second = await send(STRANGER);
    assert.equal(second.status, 202, second.body);
    const theirs = made(second.body);
    assert.notEqual(theirs.task_id, first.task_id);
    assert.ok(!second.body.includes(first.task_id), `the 202 names the maker's task: ${second.body}`);
    const watched = readSse(`${api.url}/api/status/${theirs.task_id}`, { timeoutMs: 60_000 });
    const cancelled = await sendRaw(`${api.url}/api/tasks/${theirs.task_id}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': theirs.task_token },
      localAddress: STRANGER,
    });
    assert.equal(cancelled.status, 200, cancelled.body);
    assert.ok(!cancelled.body.includes(first.task_id), cancelled.body);
    const strangerEvents = await watched;
    assert.ok(!strangerEvents.body.includes(first.task_id), "the stranger's stream names the maker's task");
    const events = await followToEnd(api.url, first.task_id, 90_000);
    assert.equal(
      events[events.length - 1].event,
      'completed',
      "the maker's job survives the stranger's cancel",
    );
  });
});
