import { TestBed } from '@angular/core/testing';

import { FakeEventSource } from '../../../testing/fake-event-source';
import { useFetchBackedXhr } from '../../../testing/fetch-backed-xhr';
import { EVENT_SOURCE_FACTORY } from '../../core/events/event-source-factory';
import { TASK_CHANNEL_FACTORY } from '../../core/tasks/task-channel';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { HistoryRecorder, provideHistoryRecording } from './history-recorder';
import { HistoryStore } from './history-store';

const MODEL_ID = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';
const TASK = 't-1';

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
});
