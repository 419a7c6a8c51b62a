import { TestBed } from '@angular/core/testing';
import type { MockInstance } from 'vitest';

import { FakeEventSource } from '../../../testing/fake-event-source';
import { useFetchBackedXhr } from '../../../testing/fetch-backed-xhr';
import { EVENT_SOURCE_FACTORY } from '../events/event-source-factory';
import { TASK_CHANNEL_FACTORY } from './task-channel';
import { CompletedTask, TaskTracker } from './task-tracker';

const TASK = 't-1';

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers });
}

/** Routes the tracker's requests to canned answers from the HTTP contract. */
function serve(routes: Record<string, () => Response>): MockInstance<typeof fetch> {
  return vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const key = `${init?.method ?? 'GET'} ${url}`;
    const route = routes[key];
    return route ? Promise.resolve(route()) : Promise.reject(new Error(`unexpected ${key}`));
  });
}

const TOKEN = 'kT3u0Qx2b0c9mJ4yJ8wQmRk1sZ6fQvH3nA7pL2eX5dU';

const accepted = (): Response =>
  json(
    { success: true, task_id: TASK, task_token: TOKEN, status_url: `/api/status/${TASK}`, queue_position: 1 },
    202,
  );

describe('TaskTracker', () => {
  beforeEach(() => useFetchBackedXhr());

  let tracker: TaskTracker;
  const source = (): FakeEventSource => FakeEventSource.instances.at(-1) as FakeEventSource;

  /** A tracker of one tab: no other tab to share the stream with (shared-task-feed.spec.ts covers sharing). */
  const newTracker = (): TaskTracker => {
    TestBed.configureTestingModule({
      providers: [
        { provide: EVENT_SOURCE_FACTORY, useValue: (url: string) => new FakeEventSource(url) },
        { provide: TASK_CHANNEL_FACTORY, useValue: () => undefined },
      ],
    });
    return TestBed.inject(TaskTracker);
  };

  beforeEach(() => {
    FakeEventSource.instances = [];
    sessionStorage.clear();
    tracker = newTracker();
  });

  afterEach(() => {
    tracker.reset();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('cancel while the picture is being sent stops sending it; its late answer makes no task here', async () => {
    let answer: (response: Response) => void = () => undefined;
    vi.spyOn(globalThis, 'fetch').mockReturnValue(new Promise<Response>((resolve) => (answer = resolve)));
    const sending = tracker.start(new Blob(['x']), 'a.png');
    expect(tracker.state().phase).toBe('uploading');
    await tracker.cancel();
    expect(tracker.state().phase).toBe('idle');
    answer(
      new Response(JSON.stringify({ success: true, task_id: TASK, task_token: 't', queue_position: 1 }), {
        status: 202,
      }),
    );
    await sending;
    expect(tracker.state()).toMatchObject({ phase: 'idle', taskId: undefined });
    expect(sessionStorage.getItem('kiln3d.currentTask')).toBeNull();
  });

  it('sends the picture, follows the events and closes the stream at the end', async () => {
    serve({ 'POST /api/generate': accepted });
    const completions: CompletedTask[] = [];
    tracker.completed.subscribe((task) => completions.push(task));
    const picture = new Blob(['x']);
    await tracker.start(picture, 'a.png');
    expect(tracker.state()).toMatchObject({ phase: 'queued', taskId: TASK, position: 1 });
    expect(source().url).toBe(`/api/status/${TASK}`);
    expect(sessionStorage.getItem('kiln3d.currentTask')).toBe(TASK);
    source().emit('processing', JSON.stringify({ status: 'processing', progress: 30, stage: 'geometry' }));
    expect(tracker.state()).toMatchObject({ phase: 'processing', progress: 30 });
    source().emit(
      'completed',
      JSON.stringify({
        status: 'completed',
        model_url: 'http://h/static/m.glb',
        download_url: '/static/m.source.glb',
      }),
    );
    expect(tracker.state().result?.modelUrl).toBe('/static/m.glb');
    expect(source().closed).toBe(true);
    expect(sessionStorage.getItem('kiln3d.currentTask')).toBeNull();
    // Announced once, with the picture that was sent and its name; a replayed event announces nothing more.
    expect(completions).toEqual([
      {
        taskId: TASK,
        result: tracker.state().result,
        picture,
        pictureName: 'a.png',
        kind: 'generate',
        meshName: undefined,
      },
    ]);
    source().emit('completed', JSON.stringify({ status: 'completed', model_url: '/static/m.glb' }));
    expect(completions).toHaveLength(1);
  });

  it('shows a refusal and can send the same picture again', async () => {
    const fetchMock = serve({
      'POST /api/generate': () =>
        json({ success: false, error: 'Server busy, retry later', code: 'server_busy' }, 503, {
          'Retry-After': '9',
        }),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    expect(tracker.state()).toMatchObject({
      phase: 'failed',
      error: { status: 503, code: 'server_busy', error: 'Server busy, retry later', retryAfterS: 9 },
    });
    expect(tracker.canRetry()).toBe(true);
    await tracker.retry();
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('sends a mesh and its picture to POST /api/texture and follows the task the same way', async () => {
    const fetchMock = serve({ 'POST /api/texture': accepted });
    const completions: CompletedTask[] = [];
    tracker.completed.subscribe((task) => completions.push(task));
    const picture = new Blob(['png']);
    await tracker.startTexture(
      { mesh: new Blob(['glTF']), meshName: 'chair.glb', picture, pictureName: 'chair.png' },
      { seed: 3 },
    );
    expect(tracker.kind()).toBe('texture');
    expect(tracker.state()).toMatchObject({ phase: 'queued', taskId: TASK });
    expect(source().url).toBe(`/api/status/${TASK}`);
    source().emit(
      'completed',
      JSON.stringify({ status: 'completed', kind: 'texture', model_url: '/static/p.glb' }),
    );
    expect(tracker.state()).toMatchObject({ phase: 'completed', result: { modelUrl: '/static/p.glb' } });
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ taskId: TASK, result: { modelUrl: '/static/p.glb' } });
    expect(completions[0]?.picture).toBe(picture);
    // A new variation paints the same mesh with another seed.
    await tracker.variation();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const form = fetchMock.mock.calls[1]?.[1]?.body as FormData;
    expect((form.get('mesh') as File).name).toBe('chair.glb');
    expect(form.get('seed')).not.toBe('3');
  });

  it('shows a refusal of the mesh by its code, and tries the same mesh and picture again', async () => {
    const fetchMock = serve({
      'POST /api/texture': () =>
        json({ success: false, error: 'Mesh too large', code: 'mesh_too_large' }, 413),
    });
    await tracker.startTexture({
      mesh: new Blob(['m']),
      meshName: 'm.ply',
      picture: new Blob(['p']),
      pictureName: 'p.png',
    });
    expect(tracker.state()).toMatchObject({
      phase: 'failed',
      error: { status: 413, code: 'mesh_too_large' },
    });
    await tracker.retry();
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual(['/api/texture', '/api/texture']);
  });

  it('says timed out when processing outlasts the job limit plus a grace, and refresh asks the server', async () => {
    vi.useFakeTimers();
    // The silent-stream poll sees a job still running (as if the server missed its own limit).
    let answer: Record<string, unknown> = { task_id: TASK, status: 'processing', progress: 1 };
    serve({ 'POST /api/generate': accepted, [`GET /api/tasks/${TASK}`]: () => json(answer) });
    await tracker.start(new Blob(['x']), 'a.png');
    source().emit('processing', JSON.stringify({ status: 'processing', progress: 1 }));
    await vi.advanceTimersByTimeAsync(184_000);
    expect(tracker.state().phase).toBe('processing');
    expect(tracker.elapsedS()).toBe(184);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(tracker.state().phase).toBe('timed-out');
    expect(source().closed).toBe(true);
    answer = {
      task_id: TASK,
      status: 'failed',
      error: 'Generation timeout',
      error_code: 'generation_timeout',
      http_status: 504,
    };
    await tracker.refresh();
    expect(tracker.state()).toMatchObject({
      phase: 'failed',
      error: { status: 504, code: 'generation_timeout', error: 'Generation timeout' },
    });
  });

  it('announces a completion that a refresh after the page timeout finds', async () => {
    vi.useFakeTimers();
    serve({
      'POST /api/generate': accepted,
      [`GET /api/tasks/${TASK}`]: () => json({ task_id: TASK, status: 'processing', progress: 1 }),
    });
    const completions: CompletedTask[] = [];
    tracker.completed.subscribe((task) => completions.push(task));
    await tracker.start(new Blob(['x']), 'a.png');
    source().emit('processing', JSON.stringify({ status: 'processing', progress: 1 }));
    await vi.advanceTimersByTimeAsync(186_000);
    expect(tracker.state().phase).toBe('timed-out');
    expect(completions).toEqual([]);
    serve({
      [`GET /api/tasks/${TASK}`]: () =>
        json({ task_id: TASK, status: 'completed', model_url: '/static/m.glb' }),
    });
    await tracker.refresh();
    expect(tracker.state().phase).toBe('completed');
    expect(completions.map((task) => task.result.modelUrl)).toEqual(['/static/m.glb']);
  });

  it('when the browser gives up on the stream, asks the server and reconnects', async () => {
    vi.useFakeTimers();
    serve({
      'POST /api/generate': accepted,
      [`GET /api/tasks/${TASK}`]: () => json({ task_id: TASK, status: 'processing', progress: 50 }),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    source().fail(0);
    expect(tracker.state().reconnecting).toBe(true);
    source().fail(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.state()).toMatchObject({ phase: 'processing', progress: 50 });
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('asks GET /api/tasks/{id} when the stream stays silent (a proxy buffering events)', async () => {
    vi.useFakeTimers();
    let answer: Record<string, unknown> = { task_id: TASK, status: 'processing', progress: 50 };
    const fetchMock = serve({
      'POST /api/generate': accepted,
      [`GET /api/tasks/${TASK}`]: () => json(answer),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(tracker.state()).toMatchObject({ phase: 'processing', progress: 50 });
    // An event resets the silence; the next poll waits another ten seconds.
    source().emit('processing', JSON.stringify({ status: 'processing', progress: 60 }));
    await vi.advanceTimersByTimeAsync(9_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    answer = { task_id: TASK, status: 'completed', model_url: '/static/m.glb' };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(tracker.state().phase).toBe('completed');
    expect(source().closed).toBe(true);
  });

  it('merges the stream and the polling fallback without letting progress go backwards', async () => {
    vi.useFakeTimers();
    // The poll's answer was read before the event that came in first: it is older.
    serve({
      'POST /api/generate': accepted,
      [`GET /api/tasks/${TASK}`]: () => json({ task_id: TASK, status: 'processing', progress: 50 }),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    source().emit('processing', JSON.stringify({ status: 'processing', progress: 60, stage: 'texture' }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tracker.state()).toMatchObject({ phase: 'processing', progress: 60, stage: 'texture' });
  });

  it('reports an unknown task when the stream and the server both say 404', async () => {
    serve({
      'POST /api/generate': accepted,
      [`GET /api/tasks/${TASK}`]: () =>
        json({ success: false, error: 'Task not found', code: 'task_not_found' }, 404),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    source().fail(2);
    await vi.waitFor(() => expect(tracker.state().phase).toBe('failed'));
    expect(tracker.state().error?.status).toBe(404);
  });

  it("cancels a queued task with DELETE, as its maker (the 202's task token in X-Task-Token)", async () => {
    const fetchMock = serve({
      'POST /api/generate': accepted,
      [`DELETE /api/tasks/${TASK}`]: () => json({ success: true }),
    });
    await tracker.start(new Blob(['x']), 'a.png');
    expect(sessionStorage.getItem('kiln3d.currentTaskToken')).toBe(TOKEN);
    await tracker.cancel();
    expect(tracker.state().phase).toBe('cancelled');
    expect(fetchMock).toHaveBeenLastCalledWith(`/api/tasks/${TASK}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': TOKEN },
      signal: expect.any(AbortSignal) as AbortSignal,
    });
    expect(source().closed).toBe(true);
    expect(sessionStorage.getItem('kiln3d.currentTaskToken')).toBeNull();
  });

  it('after a reload, cancels with the token this tab kept', async () => {
    sessionStorage.setItem('kiln3d.currentTask', TASK);
    sessionStorage.setItem('kiln3d.currentTaskToken', TOKEN);
    const fetchMock = serve({ [`DELETE /api/tasks/${TASK}`]: () => json({ success: true }) });
    expect(tracker.resume()).toBe(true);
    await tracker.cancel();
    expect(fetchMock).toHaveBeenLastCalledWith(`/api/tasks/${TASK}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': TOKEN },
      signal: expect.any(AbortSignal) as AbortSignal,
    });
    expect(tracker.state().phase).toBe('cancelled');
  });

  it("a task this tab did not make is not cancelled: the server's 403 leaves it running", async () => {
    sessionStorage.setItem('kiln3d.currentTask', TASK);
    serve({
      [`DELETE /api/tasks/${TASK}`]: () =>
        json({ success: false, error: 'Task token missing or wrong', code: 'task_token_required' }, 403),
    });
    expect(tracker.resume()).toBe(true);
    await tracker.cancel();
    expect(tracker.state().phase).toBe('queued');
  });

  it('resumes the task this tab followed before a reload', () => {
    sessionStorage.setItem('kiln3d.currentTask', TASK);
    const completions: CompletedTask[] = [];
    tracker.completed.subscribe((task) => completions.push(task));
    expect(tracker.resume()).toBe(true);
    expect(tracker.state()).toMatchObject({ phase: 'queued', taskId: TASK });
    expect(source().url).toBe(`/api/status/${TASK}`);
    // The page never had this task's picture: the completion says so.
    source().emit('completed', JSON.stringify({ status: 'completed', model_url: '/static/m.glb' }));
    expect(completions).toEqual([
      { taskId: TASK, result: tracker.state().result, picture: undefined, kind: 'generate' },
    ]);
  });
  it('after a reload, still says what the task makes and names its picture (a texturing task)', async () => {
    serve({ 'POST /api/texture': accepted });
    await tracker.startTexture({
      mesh: new Blob(['m']),
      meshName: 'm.glb',
      picture: new Blob(['x']),
      pictureName: 'chair.png',
    });
    expect(tracker.kind()).toBe('texture');
    expect(tracker.pictureName()).toBe('chair.png');
    // A reload: a new tracker in the same tab, with what this tab kept.
    TestBed.resetTestingModule();
    tracker = newTracker();
    expect(tracker.pictureName()).toBeUndefined();
    expect(tracker.resume()).toBe(true);
    expect(tracker.state()).toMatchObject({ phase: 'queued', taskId: TASK, position: undefined });
    expect(tracker.kind()).toBe('texture');
    expect(tracker.pictureName()).toBe('chair.png');
    // Once the task ends, nothing is kept for the next reload.
    source().emit('completed', JSON.stringify({ status: 'completed', model_url: '/static/m.glb' }));
    expect(sessionStorage.length).toBe(0);
    tracker.reset();
    expect(tracker.kind()).toBe('generate');
    expect(tracker.pictureName()).toBeUndefined();
  });

  it('follows its task again when the page comes back from the back-forward cache', () => {
    sessionStorage.setItem('kiln3d.currentTask', TASK);
    expect(tracker.resume()).toBe(true);
    const first = source();
    globalThis.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    globalThis.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    expect(first.closed).toBe(true);
    expect(source()).not.toBe(first);
    expect(source().closed).toBe(false);
    source().emit('completed', JSON.stringify({ status: 'completed', model_url: '/static/m.glb' }));
    expect(tracker.state().phase).toBe('completed');
  });
});
