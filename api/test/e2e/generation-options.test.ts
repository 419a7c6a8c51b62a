/**
 * End to end: the generation options of POST /api/generate (quality, seed, texture_size, faces)
 * through the built api and a real inflate sidecar: 400 naming the field, the task recording its
 * options with the defaults filled in, and the engine saying which it ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { followToEnd, getJson, postPicture, sample } from '../support/http-client';

const PNG = sample('typical_misc_lantern.png');

void describe('generation options end to end (inflate engine)', () => {
  const api = useApi('e2e-options', { env: { INFERENCE_ENGINE: 'inflate' } });

  void it('answers 400 naming the field for each bad value, before any task exists', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ quality: 'ultra' }, 'Invalid quality: one of fast, balanced, high'],
      [{ seed: 'abc' }, 'Invalid seed: an integer from 1 to 2147483647'],
      [{ texture_size: '8192' }, 'Invalid texture_size: one of 1024, 2048, 4096'],
      [{ faces: '5' }, 'Invalid faces: an integer from 10000 to 1000000'],
    ];
    for (const [fields, error] of cases) {
      const response = await postPicture(api.url, PNG, fields);
      assert.equal(response.status, 400, JSON.stringify(fields));
      assert.deepEqual(await response.json(), { success: false, error, code: 'invalid_option' });
    }
    const health = (await getJson(`${api.url}/api/health`)).body;
    const queue = health['queue'] as Record<string, number>;
    assert.equal(queue['slots_held'], 0, 'no queue slot taken');
    assert.equal(queue['waiting'] + queue['active'], 0, 'no job');
  });

  void it('records the options (defaults filled in) and what the engine ignored', async () => {
    const response = await postPicture(api.url, PNG, { quality: 'fast', seed: '1234', faces: '20000' });
    assert.equal(response.status, 202);
    const { task_id: id } = (await response.json()) as { task_id: string };
    const events = await followToEnd(api.url, id);
    assert.equal(events[events.length - 1].event, 'completed');
    const task = (await getJson(`${api.url}/api/tasks/${id}`)).body;
    assert.deepEqual(task['options'], { quality: 'fast', seed: 1234, texture_size: 2048, faces: 20000 });
    assert.deepEqual(task['ignored_options'], ['quality', 'seed', 'texture_size', 'faces']);
    assert.equal(task['engine'], 'inflate');

    const plain = await postPicture(api.url, PNG, {}, '?wait=true');
    assert.equal(plain.status, 200);
    const done = (await plain.json()) as { task_id: string };
    const defaults = (await getJson(`${api.url}/api/tasks/${done.task_id}`)).body;
    assert.deepEqual(defaults['options'], {
      quality: 'balanced',
      seed: 42,
      texture_size: 2048,
      faces: 500000,
    });
  });
});
