import { TaskSnapshot } from '../api/api-types';
import { IDLE_TASK, TaskAction, TaskState, reduceTask } from './task-state';

function run(actions: TaskAction[], start: TaskState = IDLE_TASK): TaskState {
  return actions.reduce(reduceTask, start);
}

function snap(snapshot: TaskSnapshot, now = 0): TaskAction {
  return { type: 'snapshot', snapshot, now };
}

const accepted: TaskAction[] = [{ type: 'upload-started' }, { type: 'accepted', taskId: 't1', position: 2 }];

describe('reduceTask', () => {
  it('follows queued -> processing -> completed', () => {
    let state = run(accepted);
    expect(state).toMatchObject({ phase: 'queued', taskId: 't1', position: 2 });
    state = run([snap({ status: 'queued', position: 1, eta_s: 40 }, 1000)], state);
    expect(state).toMatchObject({ phase: 'queued', position: 1, etaS: 40, etaAt: 1000 });
    state = run([snap({ status: 'processing', progress: 10, stage: 'structure' }, 5000)], state);
    expect(state).toMatchObject({
      phase: 'processing',
      progress: 10,
      stage: 'structure',
      processingSince: 5000,
    });
    state = run([snap({ status: 'processing', progress: 55, stage: 'texture' }, 9000)], state);
    expect(state).toMatchObject({ progress: 55, stage: 'texture', processingSince: 5000 });
    state = run(
      [
        snap({
          status: 'completed',
          model_url: 'https://kiln.example.com/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.glb',
          download_url: 'https://kiln.example.com/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.source.glb',
          lod_url: 'https://kiln.example.com/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.lod.glb',
          share_url: 'https://kiln.example.com/m/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a',
          generation_time: 12.5,
        }),
      ],
      state,
    );
    expect(state.phase).toBe('completed');
    expect(state.progress).toBe(100);
    expect(state.result).toEqual({
      modelUrl: '/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.glb',
      downloadUrl: '/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.source.glb',
      lodUrl: '/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.lod.glb',
      generationTime: 12.5,
      seedCounts: true,
      ignoredOptions: [],
      // The share link stays the server's public address (PUBLIC_BASE_URL), not this page's origin.
      shareUrl: 'https://kiln.example.com/m/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a',
    });
  });

  it('the same estimate delivered again (a poll of an unchanged task) keeps counting down; a new one restarts it', () => {
    const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const queued = (eta: number, updatedS: number, now: number): TaskAction =>
      snap({ status: 'queued', position: 2, eta_s: eta, updated_at: at(updatedS) }, now);
    let state = run([...accepted, queued(51, 10, 10_000)]);
    expect(state).toMatchObject({ etaS: 51, etaAt: 10_000 });
    // Polled 12 s later: the server has not written the task since, so it is the same estimate.
    state = run([queued(51, 10, 22_000)], state);
    expect(state).toMatchObject({ etaS: 51, etaAt: 10_000 });
    // The queue moved: a new estimate, written later, counts from when it came.
    state = run([queued(25, 30, 30_000)], state);
    expect(state).toMatchObject({ etaS: 25, etaAt: 30_000 });
  });

  it('says whether the seed counted: not where the engine named it among the options it ignored', () => {
    const done = (ignored: string[] | undefined) =>
      run([...accepted, snap({ status: 'completed', model_url: '/static/m.glb', ignored_options: ignored })])
        .result?.seedCounts;
    expect(done(['seed', 'quality', 'texture_size', 'faces'])).toBe(false);
    expect(done(['quality', 'texture_size', 'faces'])).toBe(true);
    // trellis2 ignores nothing, and the snapshot then has no ignored_options.
    expect(done(undefined)).toBe(true);
  });

  it('keeps the ignored options for the page to name, none when the snapshot lists none', () => {
    const ignoredOf = (ignored: string[] | undefined) =>
      run([...accepted, snap({ status: 'completed', model_url: '/static/m.glb', ignored_options: ignored })])
        .result?.ignoredOptions;
    expect(ignoredOf(['quality', 'seed'])).toEqual(['quality', 'seed']);
    expect(ignoredOf(undefined)).toEqual([]);
  });

  it("counts processing time from the server's own start, whatever the clock skew", () => {
    const resumed = run([
      { type: 'resume', taskId: 't1' },
      snap(
        {
          status: 'processing',
          progress: 40,
          started_at: '2020-01-01T00:00:00.000Z',
          updated_at: '2020-01-01T00:01:10.000Z',
        },
        1_000_000,
      ),
    ]);
    expect(resumed.processingSince).toBe(1_000_000 - 70_000);
    // Garbled or missing times fall back to the moment the event arrived.
    const garbled = run([...accepted, snap({ status: 'processing', started_at: 'soon' }, 5)]);
    expect(garbled.processingSince).toBe(5);
  });

  it('never lets progress go backwards or a replayed queued event undo processing', () => {
    const state = run([
      ...accepted,
      snap({ status: 'processing', progress: 60 }),
      snap({ status: 'processing', progress: 40 }),
      snap({ status: 'queued', position: 1 }),
    ]);
    expect(state).toMatchObject({ phase: 'processing', progress: 60 });
  });

  it('believes a step back only from a later write: a job put back in the queue, or started over', () => {
    const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    /** A processing snapshot of the run started at `startS`, written at `updatedS` (seconds), seen then. */
    const processing = (progress: number, startS: number, updatedS: number): TaskAction =>
      snap(
        {
          status: 'processing',
          progress,
          stage: 'preprocess',
          started_at: at(startS),
          updated_at: at(updatedS),
        },
        updatedS * 1000,
      );
    const running = run([...accepted, processing(60, 1, 20)]);
    expect(running).toMatchObject({ phase: 'processing', progress: 60, restarted: false });
    // A stale answer (polling racing the stream) changes nothing.
    const stale = run(
      [snap({ status: 'queued', position: 1, updated_at: at(5) }), processing(30, 0, 10)],
      running,
    );
    expect(stale).toMatchObject({ phase: 'processing', progress: 60, restarted: false });

    // The server stopped mid-job: the task is back in line, then its job starts over.
    const requeued = run(
      [snap({ status: 'queued', position: 1, eta_s: 30, updated_at: at(25) }, 25_000)],
      running,
    );
    expect(requeued).toMatchObject({
      phase: 'queued',
      position: 1,
      progress: 0,
      stage: undefined,
      processingSince: undefined,
      restarted: true,
    });
    expect(run([processing(5, 30, 31)], requeued)).toMatchObject({
      phase: 'processing',
      progress: 5,
      processingSince: 30_000,
      restarted: true,
    });

    // A crashed server's job taken up again without a queued event in between: a new start time.
    const rerun = run([processing(2, 40, 41)], running);
    expect(rerun).toMatchObject({ progress: 2, processingSince: 40_000, restarted: true });
    // Within the new run progress is monotonic again.
    expect(run([processing(1, 40, 42)], rerun).progress).toBe(2);
  });

  it('keeps a terminal state against late events', () => {
    const failed = run([
      ...accepted,
      snap({
        status: 'failed',
        error: 'Generation timeout',
        error_code: 'generation_timeout',
        http_status: 504,
      }),
    ]);
    expect(failed).toMatchObject({
      phase: 'failed',
      error: { status: 504, code: 'generation_timeout', error: 'Generation timeout' },
    });
    expect(run([snap({ status: 'processing', progress: 99 }), { type: 'stream-lost' }], failed)).toBe(failed);
  });

  it('treats a failure with an unknown status as a server error; decides a cancel by its code or flag, not its words', () => {
    expect(
      run([
        ...accepted,
        snap({ status: 'failed', error: 'GPU out of memory', error_code: 'gpu_out_of_memory' }),
      ]).error,
    ).toEqual({ status: 500, code: 'gpu_out_of_memory', error: 'GPU out of memory' });
    const byCode = snap({
      status: 'failed',
      error: 'Task cancelled',
      error_code: 'task_cancelled',
      http_status: 409,
    });
    expect(run([...accepted, byCode]).phase).toBe('cancelled');
    expect(run([...accepted, snap({ status: 'failed', cancelled: true })]).phase).toBe('cancelled');
    // Words alone decide nothing: a message that reads like a cancel, without its code, is a failure.
    const words = run([
      ...accepted,
      snap({ status: 'failed', error: 'Cancelled by user', http_status: 500 }),
    ]);
    expect(words).toMatchObject({
      phase: 'failed',
      error: { status: 500, code: undefined, error: 'Cancelled by user' },
    });
    // A code this page does not know is no code.
    const unknown = run([
      ...accepted,
      snap({ status: 'failed', error_code: 'brand_new' as never, error: 'New', http_status: 500 }),
    ]);
    expect(unknown.error?.code).toBeUndefined();
  });

  it('fails a completed event without a model', () => {
    expect(run([...accepted, snap({ status: 'completed' })]).phase).toBe('failed');
  });

  it('tracks upload progress only while uploading', () => {
    const uploading = run([{ type: 'upload-started' }, { type: 'upload-progress', fraction: 0.4 }]);
    expect(uploading).toMatchObject({ phase: 'uploading', uploadFraction: 0.4 });
    const queued = run([{ type: 'accepted', taskId: 't', position: 1 }], uploading);
    expect(run([{ type: 'upload-progress', fraction: 0.9 }], queued)).toBe(queued);
  });

  it('records a rejected upload with its error', () => {
    const error = {
      status: 503,
      code: 'server_busy' as const,
      error: 'Server busy, retry later',
      retryAfterS: 30,
    };
    expect(run([{ type: 'upload-started' }, { type: 'rejected', error }])).toMatchObject({
      phase: 'failed',
      error,
    });
  });

  it('times out after the job limit of processing, not before', () => {
    const processing = run([...accepted, snap({ status: 'processing', progress: 5 }, 1000)]);
    expect(run([{ type: 'tick', now: 1000 + 179_000, timeoutS: 180 }], processing).phase).toBe('processing');
    expect(run([{ type: 'tick', now: 1000 + 180_000, timeoutS: 180 }], processing).phase).toBe('timed-out');
    // Waiting in line does not count towards the limit.
    const queued = run(accepted);
    expect(run([{ type: 'tick', now: 10_000_000, timeoutS: 180 }], queued).phase).toBe('queued');
  });

  it('marks a lost stream and clears the mark on the next event', () => {
    const lost = run([...accepted, { type: 'stream-lost' }]);
    expect(lost.reconnecting).toBe(true);
    expect(run([snap({ status: 'queued', position: 1 })], lost).reconnecting).toBe(false);
  });

  it('ignores events when idle, and resets to idle', () => {
    expect(run([snap({ status: 'processing', progress: 5 })])).toBe(IDLE_TASK);
    expect(run([...accepted, { type: 'reset' }])).toBe(IDLE_TASK);
  });

  it('cancels and resumes', () => {
    expect(run([...accepted, { type: 'cancelled' }]).phase).toBe('cancelled');
    expect(run([{ type: 'resume', taskId: 'x' }])).toMatchObject({ phase: 'queued', taskId: 'x' });
    expect(
      run([
        { type: 'resume', taskId: 'x' },
        { type: 'refused', error: { status: 404, code: 'task_not_found', error: 'Task not found' } },
      ]).error?.status,
    ).toBe(404);
  });

  it('keeps the newest voxel preview of a processing task, as a same-origin path, through completion', () => {
    const id = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';
    const info = (rev: number, url = `https://kiln.example.com/api/tasks/${id}/preview?rev=${rev}`) => ({
      rev,
      stage: rev === 1 ? ('structure' as const) : ('geometry' as const),
      resolution: 32 * rev,
      count: 10,
      encoding: 'xyz8' as const,
      bytes: 30,
      url,
    });
    let state = run([...accepted, snap({ status: 'processing', progress: 20 })]);
    expect(state.preview).toBeUndefined();
    state = run([snap({ status: 'processing', progress: 30, preview: info(1) })], state);
    expect(state.preview).toEqual({ url: `/api/tasks/${id}/preview?rev=1`, rev: 1 });
    state = run([snap({ status: 'processing', progress: 60, preview: info(2) })], state);
    expect(state.preview?.rev).toBe(2);
    // An older snapshot (polling racing the stream) never brings an older preview back.
    state = run([snap({ status: 'processing', progress: 30, preview: info(1) })], state);
    expect(state.preview?.rev).toBe(2);
    // A URL of another site is never followed.
    state = run([snap({ status: 'processing', preview: info(3, 'https://elsewhere.example/x') })], state);
    expect(state.preview?.rev).toBe(2);
    state = run([snap({ status: 'completed', model_url: `/static/${id}.glb` })], state);
    expect(state.preview?.rev).toBe(2);
    expect(run([{ type: 'upload-started' }], state).preview).toBeUndefined();
  });
});
