/**
 * End to end: the built api with a real simulate sidecar: SSE `preview` events, the preview URL,
 * GET /api/tasks/{id} naming it, and a Last-Event-ID resume getting the latest preview again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApiProcess, useApi } from '../support/api-process';
import { getJson, readSse, sample, type SseEvent, upload } from '../support/http-client';

const PNG = 'typical_misc_lantern.png';

const submit = async (api: ApiProcess): Promise<string> => {
  const response = await upload<{ task_id: string }>(api.url, sample(PNG));
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body.task_id;
};

const previews = (events: SseEvent[]): SseEvent[] => events.filter((e) => e.event === 'preview');

void describe('voxel previews end to end (simulate engine)', () => {
  const api = useApi('e2e-previews', { env: { SIMULATE_SECONDS: '3' } });

  void it('SSE sends `preview` events while processing; the URL serves the voxels; a resume gets the latest again', async () => {
    const id = await submit(api);
    const queuedId = await submit(api); // waits behind the first: no preview yet
    const noPreview = await fetch(`${api.url}/api/tasks/${queuedId}/preview`);
    assert.equal(noPreview.status, 404);
    assert.deepEqual(await noPreview.json(), {
      success: false,
      error: 'No preview yet',
      code: 'preview_not_found',
    });

    // Up to the first preview, then drop the connection.
    const first = await readSse(`${api.url}/api/status/${id}`, {
      timeoutMs: 30_000,
      stopWhen: (read) => previews(read.events).length > 0,
    });
    const [coarse] = previews(first.events);
    assert.ok(coarse, first.body);
    const statusBefore = first.events[first.events.indexOf(coarse) - 1];
    assert.equal(statusBefore.event, 'processing');
    assert.equal(coarse.id, statusBefore.id, 'a preview event has the id of the state that names it');
    assert.equal(coarse.data['task_id'], id);
    assert.equal(coarse.data['stage'], 'structure');
    assert.equal(coarse.data['resolution'], 32);
    assert.equal(coarse.data['encoding'], 'xyz8');
    assert.equal(coarse.data['rev'], 1);
    const count = Number(coarse.data['count']);
    assert.equal(coarse.data['bytes'], count * 3);
    assert.equal(coarse.data['url'], `${api.url}/api/tasks/${id}/preview?rev=1`);

    // The task's JSON names it too, while processing.
    const polled = (await getJson(`${api.url}/api/tasks/${id}`)).body;
    assert.equal(polled['status'], 'processing');
    assert.equal((polled['preview'] as Record<string, unknown>)['url'], coarse.data['url']);

    // A resume with Last-Event-ID: the current state first, then the latest preview.
    const resumed = await readSse(`${api.url}/api/status/${id}`, {
      lastEventId: coarse.id,
      timeoutMs: 30_000,
    });
    assert.ok(resumed.endedByServer);
    assert.equal(resumed.events[0].event, 'processing');
    assert.equal(resumed.events[1].event, 'preview', resumed.body.slice(0, 2000));
    assert.ok(Number(resumed.events[1].data['rev']) >= 1);
    const fine = previews(resumed.events).find((e) => e.data['stage'] === 'geometry');
    assert.ok(fine, 'the finer preview followed');
    assert.equal(fine.data['resolution'], 64);
    assert.equal(fine.data['rev'], 2);
    const terminal = resumed.events[resumed.events.length - 1];
    assert.equal(terminal.event, 'completed');
    assert.ok(resumed.events.indexOf(fine) < resumed.events.indexOf(terminal));
    assert.equal(previews(resumed.events).filter((e) => e.data['rev'] === 2).length, 1, 'each preview once');

    // The voxels: the latest preview (the geometry one), described by its headers.
    const binary = await fetch(String(fine.data['url']));
    assert.equal(binary.status, 200);
    assert.equal(binary.headers.get('content-type'), 'application/octet-stream');
    assert.equal(binary.headers.get('cache-control'), 'no-store');
    assert.equal(binary.headers.get('x-preview-rev'), '2');
    assert.equal(binary.headers.get('x-preview-stage'), 'geometry');
    assert.equal(binary.headers.get('x-preview-resolution'), '64');
    assert.equal(binary.headers.get('x-preview-encoding'), 'xyz8');
    const bytes = new Uint8Array(await binary.arrayBuffer());
    assert.equal(bytes.length, Number(binary.headers.get('x-preview-count')) * 3);
    assert.ok(bytes.every((value) => value < 64));

    // A finished task's stream ends with its terminal event alone: no preview.
    const late = await readSse(`${api.url}/api/status/${id}`, { timeoutMs: 10_000 });
    assert.deepEqual(
      late.events.map((e) => e.event),
      ['completed'],
    );
    const unknown = await fetch(`${api.url}/api/tasks/6a1d0c84-3b8e-4b5e-9f51-0d2f1c3e4a5b/preview`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      success: false,
      error: 'Task not found',
      code: 'task_not_found',
    });
  });
});
