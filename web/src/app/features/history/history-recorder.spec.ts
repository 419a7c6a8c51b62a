import { TestBed } from '@angular/core/testing';

import { FakeEventSource } from '../../../testing/fake-event-source';
import { useFetchBackedXhr } from '../../../testing/fetch-backed-xhr';
import { EVENT_SOURCE_FACTORY } from '../../core/events/event-source-factory';
import { TASK_CHANNEL_FACTORY } from '../../core/tasks/task-channel';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { HistoryRecorder, provideHistoryRecording } from './history-recorder';
import { HistoryStore } from './history-store';
import { PENDING_KEY, PendingTasks } from './pending-tasks';

const MODEL_ID = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';
const TASK = 't-1';
const TASK_ID = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';

describe('HistoryRecorder', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');

  beforeEach(() => {
    localStorage.clear();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('records the model with its task, picture name, generation time and a thumbnail made from the picture', async () => {
    // jsdom cannot decode pictures: the stub shows the picture reached the thumbnail maker.
    const decode = vi.fn<(picture: Blob) => Promise<ImageBitmap>>(() =>
      Promise.reject(new Error('no decoder')),
    );
    vi.stubGlobal('createImageBitmap', decode);
    const picture = new Blob(['x']);
    await TestBed.inject(HistoryRecorder).record({
      taskId: TASK,
      result: {
        modelUrl: `/static/${MODEL_ID}.glb`,
        downloadUrl: `/static/${MODEL_ID}.source.glb`,
        generationTime: 7,
        seedCounts: true,
        ignoredOptions: [],
      },
      picture,
      pictureName: 'lantern.png',
      kind: 'generate',
      meshName: undefined,
    });
    expect(decode).toHaveBeenCalledWith(picture);
    expect(TestBed.inject(HistoryStore).entries()).toEqual([
      {
        modelId: MODEL_ID,
        taskId: TASK,
        createdAt: NOW,
        thumbnail: undefined,
        pictureName: 'lantern.png',
        generationTime: 7,
      },
    ]);
  });

  it('records a painted mesh as such, with its mesh name', async () => {
    await TestBed.inject(HistoryRecorder).record({
      taskId: TASK,
      result: {
        modelUrl: `/static/${MODEL_ID}.glb`,
        downloadUrl: `/static/${MODEL_ID}.source.glb`,
        generationTime: 3,
        seedCounts: true,
        ignoredOptions: [],
      },
      picture: undefined,
      pictureName: 'lantern.png',
      kind: 'texture',
      meshName: 'box.obj',
    });
    expect(TestBed.inject(HistoryStore).entries()[0]).toMatchObject({
      kind: 'texture',
      meshName: 'box.obj',
      pictureName: 'lantern.png',
    });
  });

  it('skips a result that has no share page', async () => {
    await TestBed.inject(HistoryRecorder).record({
      taskId: TASK,
      result: {
        modelUrl: '/elsewhere/model.glb',
        downloadUrl: '/elsewhere/model.glb',
        generationTime: 1,
        seedCounts: true,
        ignoredOptions: [],
      },
      picture: undefined,
      pictureName: undefined,
      kind: 'generate',
      meshName: undefined,
    });
    expect(TestBed.inject(HistoryStore).entries()).toEqual([]);
  });
});

describe('provideHistoryRecording', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    FakeEventSource.instances = [];
    useFetchBackedXhr();
    TestBed.configureTestingModule({
      providers: [
        provideHistoryRecording(),
        { provide: EVENT_SOURCE_FACTORY, useValue: (url: string) => new FakeEventSource(url) },
        { provide: TASK_CHANNEL_FACTORY, useValue: () => undefined },
      ],
    });
  });

  afterEach(() => {
    TestBed.inject(TaskTracker).reset();
    vi.restoreAllMocks();
  });

  it('adds a history entry when the tracker reports a completed task, once', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        JSON.stringify({
          success: true,
          task_id: TASK,
          task_token: 'token-of-t',
          status_url: `/api/status/${TASK}`,
          queue_position: 1,
        }),
        {
          status: 202,
        },
      ),
    );
    const store = TestBed.inject(HistoryStore);
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'a.png');
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    source.emit('processing', JSON.stringify({ status: 'processing', progress: 50 }));
    expect(store.entries()).toEqual([]);
    source.emit(
      'completed',
      JSON.stringify({ status: 'completed', model_url: `/static/${MODEL_ID}.glb`, generation_time: 3 }),
    );
    await vi.waitFor(() => expect(store.entries().map((entry) => entry.modelId)).toEqual([MODEL_ID]));
    expect(store.entries()[0]).toMatchObject({ taskId: TASK, generationTime: 3, pictureName: 'a.png' });
  });

  /** Sends lantern.png through the tracker, the server answering 202 for TASK_ID; the pending list. */
  async function sendLantern(): Promise<PendingTasks> {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      Response.json(
        {
          success: true,
          task_id: TASK_ID,
          task_token: 'token',
          status_url: `/api/status/${TASK_ID}`,
          queue_position: 1,
        },
        { status: 202 },
      ),
    );
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'lantern.png');
    return TestBed.inject(PendingTasks);
  }

  it('keeps a sent task as pending until its model is recorded', async () => {
    const pending = await sendLantern();
    expect(pending.tasks()).toMatchObject([{ taskId: TASK_ID, pictureName: 'lantern.png' }]);
    expect(JSON.parse(localStorage.getItem(PENDING_KEY) ?? '[]')).toHaveLength(1);
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    source.emit('completed', JSON.stringify({ status: 'completed', model_url: `/static/${MODEL_ID}.glb` }));
    await vi.waitFor(() => expect(pending.tasks()).toEqual([]));
  });

  it('keeps a pending task this browser may no longer follow (401: a lapsed sign-in), which may still finish', async () => {
    const pending = await sendLantern();
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ success: false, error: 'Unauthorized', code: 'unauthorized' }), {
        status: 401,
      }),
    );
    (FakeEventSource.instances.at(-1) as FakeEventSource).fail(2);
    const tracker = TestBed.inject(TaskTracker);
    await vi.waitFor(() => expect(tracker.state().error?.code).toBe('unauthorized'));
    TestBed.tick();
    expect(pending.tasks()).toMatchObject([{ taskId: TASK_ID }]);
  });

  it('drops a pending task that failed or was cancelled here', async () => {
    const pending = await sendLantern();
    expect(pending.tasks()).toHaveLength(1);
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    source.emit('failed', JSON.stringify({ status: 'failed', error: 'Task cancelled', cancelled: true }));
    TestBed.tick();
    await vi.waitFor(() => expect(pending.tasks()).toEqual([]));
  });
});

describe('HistoryRecorder.settlePending (a tab closed while its model was being made)', () => {
  const ids = {
    completed: '11111111-1111-4111-8111-111111111111',
    failed: '22222222-2222-4222-8222-222222222222',
    gone: '33333333-3333-4333-8333-333333333333',
    live: '44444444-4444-4444-8444-444444444444',
    offline: '55555555-5555-4555-8555-555555555555',
  };

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [{ provide: EVENT_SOURCE_FACTORY, useValue: (url: string) => new FakeEventSource(url) }],
    });
  });

  afterEach(() => vi.restoreAllMocks());

  it('a completed task becomes an entry, a failed or unknown one is dropped, a live or unanswered one stays', async () => {
    const pending = TestBed.inject(PendingTasks);
    const now = Date.now();
    const finishedAt = new Date(now - 60_000).toISOString();
    for (const [what, taskId] of Object.entries(ids))
      pending.add({ taskId, pictureName: `${what}.png`, sentAt: now });
    const answers: Record<string, () => Response> = {
      [ids.completed]: () =>
        Response.json({
          status: 'completed',
          model_url: `http://h/static/${MODEL_ID}.glb`,
          updated_at: finishedAt,
          generation_time: 4,
        }),
      [ids.failed]: () => Response.json({ status: 'failed', error: 'Task cancelled' }),
      [ids.gone]: () =>
        Response.json({ success: false, error: 'Task not found', code: 'task_not_found' }, { status: 404 }),
      [ids.live]: () => Response.json({ status: 'processing', progress: 40 }),
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation((input) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const id = url.split('/').at(-1) ?? '';
      const answer = answers[id];
      return answer ? Promise.resolve(answer()) : Promise.reject(new TypeError('Failed to fetch'));
    });
    await TestBed.inject(HistoryRecorder).settlePending();
    expect(
      pending
        .tasks()
        .map((task) => task.taskId)
        .sort(),
    ).toEqual([ids.live, ids.offline]);
    expect(TestBed.inject(HistoryStore).entries()).toEqual([
      {
        modelId: MODEL_ID,
        taskId: ids.completed,
        createdAt: Date.parse(finishedAt),
        pictureName: 'completed.png',
        generationTime: 4,
      },
    ]);
  });
});
