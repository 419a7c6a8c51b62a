import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { FakeCall, fakeManagedSidecar, isInferenceError, modelDir } from '../../test/inference/fakes';
import { streamFailureError } from './job/generate-call';
import type { GenerateEvent__Output } from './generated/kiln3d/inference/v1/GenerateEvent';
import { GrpcInferenceRepository } from './grpc-inference.repository';
import { InferenceJob, InferenceProgress } from './inference.repository';

function progress(stage: string, percent: number, message = ''): GenerateEvent__Output {
  return { event: 'progress', progress: { stage: stage as 'STAGE_PREPROCESS', percent, message } };
}

/** A model of 34567 bytes and Done's other fields. */
const MODEL = Buffer.alloc(34_567, 7);
const DONE = { triangles: 1200, seconds: 3.5, engine: 'simulate', seed: 0, ignored: [] };

function sidecarError(code: string, message: string): GenerateEvent__Output {
  return { event: 'error', error: { code: code as 'OOM', message } };
}

const job = (overrides: Partial<InferenceJob> = {}): InferenceJob => ({
  taskId: 'task-1',
  image: Buffer.from('png bytes'),
  modelPath: join(modelDir(), 'a.source.glb'),
  seed: 7,
  timeoutS: 180,
  ...overrides,
});

const isError = isInferenceError;

async function setup() {
  const { clock, launcher, factory, sidecar } = fakeManagedSidecar();
  const repository = new GrpcInferenceRepository(sidecar, clock);
  repository.onApplicationBootstrap();
  await clock.advance(250);
  assert.equal((await repository.health()).state, 'ready');
  /** Starts a job and returns its fake gRPC call once the request reached the sidecar. */
  const start = async (overrides: Partial<InferenceJob> = {}, signal?: AbortSignal) => {
    const seen: InferenceProgress[] = [];
    const result = repository.generate(job(overrides), (p) => seen.push(p), signal);
    result.catch(() => undefined);
    await clock.advance(0);
    const call: FakeCall | undefined = launcher.current.calls.at(-1);
    return { result, seen, call };
  };
  return { clock, launcher, factory, repository, start };
}

void describe('GrpcInferenceRepository (fake sidecar, transport and clock)', { timeout: 30_000 }, () => {
  before(() => {
    Logger.overrideLogger(false);
  });
  after(() => {
    Logger.overrideLogger(['log', 'warn', 'error']);
  });

  void test('sends the job, maps progress stages, passes percent through as the sidecar sends it, resolves with Done', async () => {
    const { start, repository } = await setup();
    const { result, seen, call } = await start();
    assert.ok(call);
    assert.deepEqual(
      { ...call.request, image: Buffer.from(call.request.image as Buffer).toString() },
      {
        taskId: 'task-1',
        image: 'png bytes',
        seed: 7,
        timeoutS: 180,
        pipelineType: '',
        textureSize: 0,
        faces: 0,
        mesh: Buffer.alloc(0),
        textureResolution: 0,
      },
    );
    call.emit(progress('STAGE_PREPROCESS', 2, 'preprocessing'));
    call.emit(progress('STAGE_STRUCTURE', 30, 'sampling 12/12'));
    call.emit(progress('STAGE_UNSPECIFIED', 20, 'odd'));
    call.emit(progress('STAGE_EXPORT', 140, 'exporting'));
    call.deliver(MODEL, DONE);
    assert.deepEqual(await result, {
      triangles: 1200,
      bytes: 34567,
      seconds: 3.5,
      engine: 'simulate',
      seed: 0,
      ignored: [],
    });
    assert.deepEqual(seen, [
      { stage: 'preprocess', percent: 2, message: 'preprocessing' },
      { stage: 'structure', percent: 30, message: 'sampling 12/12' },
      { stage: 'structure', percent: 20, message: 'odd' },
      { stage: 'export', percent: 140, message: 'exporting' },
    ]);
    assert.equal((await repository.health()).state, 'busy', 'until the sidecar says it is idle again');
  });

  void test('error events keep their code; unknown codes are INTERNAL', async () => {
    const { start, clock } = await setup();
    for (const [code, expected] of [
      ['OOM', 'OOM'],
      ['INVALID_INPUT', 'INVALID_INPUT'],
      ['INTERNAL', 'INTERNAL'],
      ['ERROR_CODE_UNSPECIFIED', 'INTERNAL'],
    ] as const) {
      await clock.advance(250);
      const { result, call } = await start();
      call!.emit(sidecarError(code, `failed with ${code}`));
      await assert.rejects(result, isError(expected, new RegExp(`failed with ${code}`)));
    }
  });

  void test('a stream that ends without a result, or fails inside the sidecar, is an error, not a hang', async () => {
    const { start, clock } = await setup();
    const ended = await start();
    ended.call!.end();
    await assert.rejects(ended.result, isError('UNAVAILABLE', /without a result/));
    await clock.advance(250);
    const crashed = await start();
    crashed.call!.fail(2, 'Exception calling application: boom');
    await assert.rejects(crashed.result, isError('INTERNAL', /boom/));
    assert.equal(streamFailureError({ code: 4, details: 'Deadline exceeded' }).code, 'TIMEOUT');
    assert.equal(streamFailureError({ code: 14, details: 'No connection' }).code, 'UNAVAILABLE');
  });

  void test('the job limit: TIMEOUT exactly at timeoutS, the call is cancelled, a sidecar that stops is kept', async () => {
    const { start, clock, launcher } = await setup();
    const { result, call } = await start({ timeoutS: 180 });
    let settled = false;
    void result.catch(() => (settled = true));
    await clock.advance(179_999);
    assert.equal(settled, false);
    await clock.advance(1);
    await assert.rejects(result, isError('TIMEOUT', /over 180 s/));
    assert.equal(call!.cancelled, true);
    launcher.current.state = 'READY';
    await clock.advance(10_000);
    assert.deepEqual(launcher.current.signals, []);
    assert.equal(launcher.sidecars.length, 1);
  });

  void test('a sidecar still busy 5 s after a timed-out job is killed and a fresh one takes the next job', async () => {
    const { start, clock, launcher, repository } = await setup();
    const first = launcher.current;
    first.state = 'BUSY';
    const { result } = await start({ timeoutS: 10 });
    await clock.advance(10_000);
    await assert.rejects(result, isError('TIMEOUT'));
    await clock.advance(4_900);
    assert.deepEqual(first.signals, []);
    await clock.advance(200);
    assert.deepEqual(first.signals, ['SIGKILL']);
    assert.equal(launcher.sidecars.length, 2, 'replaced at once');
    await clock.advance(250);
    const health = await repository.health();
    assert.equal(health.state, 'ready');
    assert.equal(health.pid, launcher.current.pid);
    assert.equal(health.restarts, 1);
  });

  void test('abort: CANCELLED and the call is cancelled; an already aborted signal never reaches the sidecar', async () => {
    const { start, launcher, clock } = await setup();
    const controller = new AbortController();
    const { result, call } = await start({}, controller.signal);
    controller.abort();
    await assert.rejects(result, isError('CANCELLED'));
    assert.equal(call!.cancelled, true);
    await clock.advance(250);
    const calls = launcher.current.calls.length;
    const aborted = await start({}, AbortSignal.abort());
    await assert.rejects(aborted.result, isError('CANCELLED'));
    assert.equal(launcher.current.calls.length, calls);
  });

  void test('the sidecar dying mid-job: UNAVAILABLE saying how it ended', async () => {
    const { start, launcher } = await setup();
    const { result } = await start();
    launcher.current.kill('SIGKILL');
    await assert.rejects(result, isError('UNAVAILABLE', /^Inference sidecar killed by SIGKILL during the job$/));
  });

  void test('a job asked for while the sidecar restarts waits for it, within the job limit', async () => {
    const { start, clock, launcher, repository } = await setup();
    launcher.current.exit({ code: 1, signal: null });
    launcher.initialState = 'LOADING';
    await clock.advance(0);
    assert.equal((await repository.health()).state, 'restarting');
    const waiting = await start({ timeoutS: 30 });
    assert.equal(waiting.call, undefined, 'nothing sent to a dead sidecar');
    await clock.advance(1_000);
    assert.equal(launcher.sidecars.length, 2);
    await clock.advance(5_000);
    launcher.current.state = 'READY';
    await clock.advance(250);
    const call = launcher.current.calls.at(-1);
    assert.ok(call, 'sent once the new sidecar is ready');
    call.deliver(MODEL, DONE);
    assert.equal((await waiting.result).engine, 'simulate');
    launcher.current.exit({ code: 1, signal: null });
    await clock.advance(0);
    const late = await start({ timeoutS: 1 });
    await clock.advance(1_000);
    await assert.rejects(late.result, isError('TIMEOUT', /not ready in time/));
  });

  void test('shutdown stops the sidecar and never restarts it', async () => {
    const { clock, launcher, repository } = await setup();
    const stopping = repository.onApplicationShutdown();
    await clock.advance(0);
    await stopping;
    assert.deepEqual(launcher.current.signals, ['SIGTERM']);
    await clock.advance(60_000);
    assert.equal(launcher.sidecars.length, 1);
    assert.equal((await repository.health()).state, 'down');
  });
});
