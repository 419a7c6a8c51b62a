import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  FakeClock,
  FakeLauncher,
  FakeSidecar,
  FakeTransportFactory,
  MemoryLogger,
  isInferenceError,
  modelDir,
  modelEvents,
} from '../../../test/inference/fakes';
import type { GenerateEvent__Output } from '../generated/kiln3d/inference/v1/GenerateEvent';
import { InferenceJob, InferencePreview, InferenceProgress } from '../inference.repository';
import type { ExitWatch, SidecarLease } from '../sidecar/sidecar';
import { GenerateCall } from './generate-call';

const dir = modelDir();
const job: InferenceJob = {
  taskId: 'task-9',
  image: Buffer.from('png'),
  modelPath: join(dir, 'task-9.source.glb'),
  seed: 3,
  pipelineType: '512',
  textureSize: 4096,
  faces: 200_000,
  timeoutS: 60,
};

const progress = (stage: string, percent: number, message = ''): GenerateEvent__Output => ({
  event: 'progress',
  progress: { stage: stage as 'STAGE_PREPROCESS', percent, message },
});

/** A 20-byte model and Done's other fields. */
const MODEL = Buffer.from('glTF twenty bytes!!!');
const DONE = { triangles: 10, seconds: 1.5, engine: 'simulate', seed: 0, ignored: [] };

const isError = isInferenceError;

/** A lease on one fake sidecar; managed: its exit is watched (as ManagedSidecar's leases are). */
async function setup(managed = true) {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const sidecar = (await launcher.launch({ command: 'x', args: [], cwd: '/', env: {}, onLine: () => undefined })) as FakeSidecar;
  const transport = new FakeTransportFactory(() => sidecar).connect('unix:///x.sock');
  const exitListeners = new Set<(description: string, byOperator: boolean) => void>();
  const watchExit: ExitWatch = (listener) => {
    exitListeners.add(listener);
    return () => exitListeners.delete(listener);
  };
  const lease: SidecarLease = { transport, watchExit: managed ? watchExit : null };
  const logger = new MemoryLogger();
  const call = new GenerateCall(lease, clock, logger);
  const seen: InferenceProgress[] = [];
  const run = (onProgress: (p: InferenceProgress) => void = (p) => seen.push(p), signal?: AbortSignal) => {
    const result = call.run(job, clock.now() + job.timeoutS * 1000, onProgress, signal);
    result.catch(() => undefined);
    return result;
  };
  const exit = (description: string, byOperator = false) => {
    for (const listener of [...exitListeners]) listener(description, byOperator);
  };
  return { clock, sidecar, call, seen, run, exit, exitListeners, logger };
}

void describe('GenerateCall (fake transport and clock)', { timeout: 30_000 }, () => {
  void test('sends the request, passes progress through, settles once with Done and hears nothing after', async () => {
    const { sidecar, call, seen, run, exitListeners } = await setup();
    const result = run();
    const rpc = sidecar.calls[0];
    assert.deepEqual({ ...rpc.request, image: String(rpc.request.image) }, {
      taskId: 'task-9',
      image: 'png',
      seed: 3,
      timeoutS: 60,
      pipelineType: '512',
      textureSize: 4096,
      faces: 200_000,
      mesh: Buffer.alloc(0),
      textureResolution: 0,
    });
    rpc.emit(progress('STAGE_GEOMETRY', 41.5, 'sampling 3/12'));
    rpc.emit(progress('STAGE_UNSPECIFIED', 40, 'no stage'));
    rpc.deliver(MODEL, DONE);
    rpc.emit(progress('STAGE_EXPORT', 99, 'late'));
    rpc.fail(14, 'late failure');
    assert.deepEqual(await result, {
      triangles: 10,
      bytes: 20,
      seconds: 1.5,
      engine: 'simulate',
      seed: 0,
      ignored: [],
    });
    assert.deepEqual(seen, [
      { stage: 'geometry', percent: 41.5, message: 'sampling 3/12' },
      { stage: 'geometry', percent: 40, message: 'no stage' },
    ]);
    assert.equal(call.interruption, null);
    assert.equal(exitListeners.size, 0, 'the exit watch is dropped once settled');
  });

  void test("an Error event keeps the sidecar's code; an unset code is INTERNAL with a default message", async () => {
    const first = await setup();
    const oom = first.run();
    first.sidecar.calls[0].emit({ event: 'error', error: { code: 'OOM', message: 'CUDA out of memory' } });
    await assert.rejects(oom, isError('OOM', /^CUDA out of memory$/));
    const second = await setup();
    const unset = second.run();
    second.sidecar.calls[0].emit({ event: 'error', error: { code: 'ERROR_CODE_UNSPECIFIED', message: '' } });
    await assert.rejects(unset, isError('INTERNAL', /^Inference failed \(INTERNAL\)$/));
  });

  void test('the deadline: TIMEOUT exactly then, the rpc cancelled, and the call says it was interrupted', async () => {
    const { clock, sidecar, call, run } = await setup();
    const result = run();
    let settled = false;
    void result.catch(() => (settled = true));
    await clock.advance(59_999);
    assert.equal(settled, false);
    await clock.advance(1);
    await assert.rejects(result, isError('TIMEOUT', /over 60 s/));
    assert.equal(sidecar.calls[0].cancelled, true);
    assert.equal(call.interruption, 'job task-9 passed its 60 s limit');
  });

  void test('abort: CANCELLED and cancelled; a signal aborted before the run never reaches the sidecar', async () => {
    const running = await setup();
    const controller = new AbortController();
    const result = running.run(undefined, controller.signal);
    controller.abort();
    await assert.rejects(result, isError('CANCELLED'));
    assert.equal(running.sidecar.calls[0].cancelled, true);
    assert.equal(running.call.interruption, 'job task-9 was cancelled');
    const early = await setup();
    await assert.rejects(early.run(undefined, AbortSignal.abort()), isError('CANCELLED'));
    assert.equal(early.sidecar.calls.length, 0);
    assert.equal(early.call.interruption, 'job task-9 was cancelled');
  });

  void test("the process exiting mid-job: UNAVAILABLE saying how, even before the stream's own failure", async () => {
    const { run, exit, call } = await setup();
    const result = run();
    exit('killed by SIGKILL');
    await assert.rejects(result, isError('UNAVAILABLE', /^Inference sidecar killed by SIGKILL during the job$/));
    assert.equal(call.interruption, null);
  });

  void test("the process killed by an operator's forced restart: RESTARTED (the task runs again), also after a dropped stream", async () => {
    const { run, exit, call } = await setup();
    const result = run();
    exit('killed by SIGKILL', true);
    await assert.rejects(
      result,
      isError('RESTARTED', /^Inference sidecar restarted by an operator during the job \(killed by SIGKILL\)$/),
    );
    assert.equal(call.interruption, null);
    const dropped = await setup();
    const second = dropped.run();
    dropped.sidecar.calls[0].drop();
    await dropped.clock.advance(200);
    dropped.exit('killed by SIGKILL', true);
    await assert.rejects(second, isError('RESTARTED'));
  });

  void test('a dropped stream waits 1 s for the exit to explain it, then fails with the stream status', async () => {
    const explained = await setup();
    const first = explained.run();
    explained.sidecar.calls[0].drop();
    await explained.clock.advance(500);
    explained.exit('exit code 1');
    await assert.rejects(first, isError('UNAVAILABLE', /^Inference sidecar exit code 1 during the job$/));
    const unexplained = await setup();
    const second = unexplained.run();
    let settled = false;
    void second.catch(() => (settled = true));
    unexplained.sidecar.calls[0].drop();
    await unexplained.clock.advance(999);
    assert.equal(settled, false);
    await unexplained.clock.advance(1);
    await assert.rejects(second, isError('UNAVAILABLE', /gRPC UNAVAILABLE: Connection dropped/));
  });

  void test('on a remote sidecar (no exit to watch) a dropped stream fails at once', async () => {
    const { sidecar, run, clock } = await setup(false);
    const result = run();
    sidecar.calls[0].drop();
    await clock.advance(0);
    await assert.rejects(result, isError('UNAVAILABLE', /gRPC UNAVAILABLE/));
  });

  void test('a throwing progress listener is logged and the job goes on; a call runs once', async () => {
    const { sidecar, run, logger, call } = await setup();
    const result = run(() => {
      throw new Error('listener broke');
    });
    sidecar.calls[0].emit(progress('STAGE_PREPROCESS', 1));
    sidecar.calls[0].deliver(MODEL, DONE);
    assert.equal((await result).engine, 'simulate');
    assert.equal(logger.matching(/^error progress listener failed: Error: listener broke$/).length, 1);
    assert.throws(() => call.run(job, 0, () => undefined), /runs once/);
  });

  void test('passes well-formed previews on, drops a malformed one, survives a throwing preview listener', async () => {
    const { sidecar, call, clock, logger } = await setup();
    const previews: InferencePreview[] = [];
    const result = call.run(job, clock.now() + 60_000, () => undefined, undefined, (preview) => {
      previews.push(preview);
      if (previews.length === 2) throw new Error('preview listener broke');
    });
    const rpc = sidecar.calls[0];
    const preview = (stage: string, resolution: number, count: number, bytes: number): GenerateEvent__Output => ({
      event: 'preview',
      preview: { stage: stage as 'STAGE_STRUCTURE', resolution, count, coords: Buffer.alloc(bytes, 1) },
    });
    rpc.emit(preview('STAGE_STRUCTURE', 32, 2, 6));
    rpc.emit(preview('STAGE_STRUCTURE', 32, 2, 5)); // bytes do not match the count
    rpc.emit(preview('STAGE_UNSPECIFIED', 32, 1, 3));
    rpc.emit(preview('STAGE_GEOMETRY', 300, 1, 6)); // uint16 per axis past 256
    rpc.deliver(MODEL, DONE);
    assert.equal((await result).engine, 'simulate');
    assert.deepEqual(
      previews.map((p) => [p.stage, p.resolution, p.count, p.coords.length]),
      [
        ['structure', 32, 2, 6],
        ['geometry', 300, 1, 6],
      ],
    );
    assert.equal(logger.matching(/^error malformed preview from the sidecar dropped$/).length, 2);
    assert.equal(logger.matching(/^error preview listener failed: Error: preview listener broke$/).length, 1);
  });
});

void describe('GenerateCall receiving the model (fake transport, real files)', { timeout: 30_000 }, () => {
  /** What is in the job's folder besides models of earlier tests: nothing partial, ever. */
  const leftovers = (): string[] => readdirSync(dir).filter((name) => name.startsWith('.'));
  const fresh = (taskId: string): InferenceJob => ({ ...job, taskId, modelPath: join(dir, `${taskId}.source.glb`) });

  void test('a model of tens of MB in 1 MiB chunks is written whole at modelPath', async () => {
    const { sidecar, clock, call } = await setup();
    const big = fresh('big');
    const result = call.run(big, clock.now() + 60_000, () => undefined);
    const model = Buffer.alloc(24 * 1024 * 1024 + 123);
    for (let i = 0; i < model.length; i += 4096) model.writeUInt32LE((i * 2654435761) >>> 0, i);
    sidecar.calls[0].deliver(model, DONE);
    assert.equal((await result).bytes, model.length);
    assert.ok(readFileSync(big.modelPath).equals(model));
    assert.deepEqual(leftovers(), []);
  });

  for (const [name, events, message] of [
    [
      'a wrong digest',
      [...modelEvents(MODEL, DONE).slice(0, -1), { event: 'done', done: { ...DONE, bytes: 20, sha256: Buffer.alloc(32) } }],
      /^Model stream damaged: SHA-256 does not match$/,
    ],
    [
      'a length that differs from Done',
      [...modelEvents(MODEL, DONE).slice(0, -1), { event: 'done', done: { ...DONE, bytes: 21, sha256: Buffer.alloc(32) } }],
      /^Model stream damaged: 20 bytes received, the sidecar sent 21$/,
    ],
    [
      'a lost chunk',
      modelEvents(MODEL, DONE, 8).filter((_event, index) => index !== 1),
      /^Model stream damaged: chunk at byte 16, expected 8$/,
    ],
    ['Done without a model', [{ event: 'done', done: { ...DONE, bytes: 0, sha256: Buffer.alloc(32) } }], /^The sidecar sent no model$/],
  ] as [string, GenerateEvent__Output[], RegExp][]) {
    void test(`${name} fails the job INTERNAL, cancels the stream and leaves no file`, async () => {
      const { sidecar, clock, call, logger } = await setup();
      const damaged = fresh(`damaged-${name.replace(/\W+/g, '-')}`);
      const result = call.run(damaged, clock.now() + 60_000, () => undefined);
      for (const event of events) sidecar.calls[0].emit(event);
      await assert.rejects(result, isError('INTERNAL', message));
      assert.equal(sidecar.calls[0].cancelled, true, 'the sidecar is told to stop sending');
      assert.equal(call.interruption, null, 'the sidecar finished its job: nothing to restart');
      assert.ok(!existsSync(damaged.modelPath));
      assert.deepEqual(leftovers(), []);
      assert.equal(logger.matching(/^error Model stream damaged|^error The sidecar sent no model/).length, 1);
    });
  }

  void test('a stream cut in the middle of the model fails UNAVAILABLE and leaves no file', async () => {
    const { sidecar, clock, call } = await setup(false);
    const cut = fresh('cut');
    const result = call.run(cut, clock.now() + 60_000, () => undefined);
    for (const event of modelEvents(Buffer.alloc(5000, 1), DONE, 1000).slice(0, 3)) sidecar.calls[0].emit(event);
    sidecar.calls[0].drop();
    await assert.rejects(result, isError('UNAVAILABLE', /gRPC UNAVAILABLE/));
    assert.ok(!existsSync(cut.modelPath));
    assert.deepEqual(leftovers(), []);
  });

  void test('a cancel in the middle of the model leaves no file', async () => {
    const { sidecar, clock, call } = await setup();
    const cancelled = fresh('cancelled');
    const controller = new AbortController();
    const result = call.run(cancelled, clock.now() + 60_000, () => undefined, controller.signal);
    for (const event of modelEvents(Buffer.alloc(5000, 1), DONE, 1000).slice(0, 2)) sidecar.calls[0].emit(event);
    controller.abort();
    await assert.rejects(result, isError('CANCELLED', /Job cancelled/));
    assert.ok(!existsSync(cancelled.modelPath));
    assert.deepEqual(leftovers(), []);
  });
});
