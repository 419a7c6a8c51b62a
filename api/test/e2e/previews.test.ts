/**
 * End to end: the built api with a real simulate sidecar: previews announced by the snapshots of
 * the SSE status events (no event of their own), the preview URL, GET /api/tasks/{id} naming it,
 * and a Last-Event-ID resume getting the latest preview again in its first event.
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

/** The snapshot's `preview`, if it names one. */
const previewOf = (event: SseEvent): Record<string, unknown> | undefined =>
  event.data['preview'] as Record<string, unknown> | undefined;

/** Each new preview as its stream announced it: the first event whose snapshot names its rev. */
const previews = (events: SseEvent[]): { event: SseEvent; preview: Record<string, unknown> }[] => {
  const found: { event: SseEvent; preview: Record<string, unknown> }[] = [];
  for (const event of events) {
    const preview = previewOf(event);
    if (preview !== undefined && preview['rev'] !== found.at(-1)?.preview['rev'])
      found.push({ event, preview });
  }
  return found;
};

void describe('voxel previews end to end (simulate engine)', () => {
  const api = useApi('e2e-previews', { env: { SIMULATE_SECONDS: '3' } });

  void it('SSE snapshots name each preview while processing; the URL serves the voxels; a resume gets the latest again', async () => {
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
    assert.deepEqual(
      [...new Set(first.events.map((e) => e.event))].filter(
        (name) => name !== 'queued' && name !== 'processing',
      ),
      [],
      'status events only: no `preview` event',
    );
    const [announced] = previews(first.events);
    assert.ok(announced, first.body);
    const coarse = announced.preview;
    assert.equal(announced.event.event, 'processing');
    assert.equal(coarse['stage'], 'structure');
    assert.equal(coarse['resolution'], 32);
    assert.equal(coarse['encoding'], 'xyz8');
    assert.equal(coarse['rev'], 1);
    const count = Number(coarse['count']);
    assert.equal(coarse['bytes'], count * 3);
    assert.equal(coarse['url'], `${api.url}/api/tasks/${id}/preview?rev=1`);

    // The task's JSON names it too, while processing.
    const polled = (await getJson(`${api.url}/api/tasks/${id}`)).body;
    assert.equal(polled['status'], 'processing');
    assert.equal((polled['preview'] as Record<string, unknown>)['url'], coarse['url']);

    // A resume with Last-Event-ID: the current state first, naming the latest preview.
    const resumed = await readSse(`${api.url}/api/status/${id}`, {
      lastEventId: announced.event.id,
      timeoutMs: 30_000,
    });
    assert.ok(resumed.endedByServer);
    assert.equal(resumed.events[0].event, 'processing');
    assert.ok(Number(previewOf(resumed.events[0])?.['rev']) >= 1, resumed.body.slice(0, 2000));
    assert.ok(
      resumed.events.every((e) => e.event === 'processing' || e.event === 'completed'),
      'status events only: no `preview` event',
    );
    const fine = previews(resumed.events).find((p) => p.preview['stage'] === 'geometry');
    assert.ok(fine, 'the finer preview followed');
    assert.equal(fine.preview['resolution'], 64);
    assert.equal(fine.preview['rev'], 2);
    assert.equal(fine.event.event, 'processing');
    const terminal = resumed.events[resumed.events.length - 1];
    assert.equal(terminal.event, 'completed');
    assert.ok(resumed.events.indexOf(fine.event) < resumed.events.indexOf(terminal));

    // The voxels: the latest preview (the geometry one), described by its headers.
    const binary = await fetch(String(fine.preview['url']));
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

    // A finished task's stream is its terminal event alone.
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
