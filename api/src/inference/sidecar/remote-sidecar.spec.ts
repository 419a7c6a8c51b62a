import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FakeClock,
  FakeLauncher,
  FakeSidecar,
  FakeTransportFactory,
  MemoryLogger,
  isInferenceError,
} from '../../../test/inference/fakes';
import { InferenceError } from '../inference.repository';
import { RemoteSidecar } from './remote-sidecar';
import { DEFAULT_SIDECAR_OPTIONS } from './sidecar';

const ADDRESS = '10.0.0.7:50051';

/** The remote sidecar is a fake process this api never launched itself (it only talks to it). */
async function setup(remoteState: FakeSidecar['state'] = 'READY') {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  launcher.initialState = remoteState;
  const remote = (await launcher.launch({ command: 'x', args: [], cwd: '/', env: {}, onLine: () => undefined })) as FakeSidecar;
  const factory = new FakeTransportFactory(() => remote);
  const logger = new MemoryLogger();
  const sidecar = new RemoteSidecar({ address: ADDRESS, transports: factory, clock, logger, options: DEFAULT_SIDECAR_OPTIONS });
  return { clock, remote, factory, logger, sidecar };
}

void describe('RemoteSidecar (INFERENCE_URL; fake transport and clock)', { timeout: 30_000 }, () => {
  void test("connects once, is ready on the first READY answer; health is the remote's: managed false, its pid", async () => {
    const { clock, remote, factory, sidecar } = await setup();
    sidecar.start();
    sidecar.start();
    assert.equal(sidecar.health().state, 'starting');
    assert.equal(sidecar.health().message, `connecting to ${ADDRESS}`);
    await clock.advance(0);
    const health = sidecar.health();
    assert.equal(health.state, 'ready');
    assert.equal(health.managed, false);
    assert.equal(health.pid, remote.pid);
    assert.equal(health.engine, 'simulate');
    assert.equal(health.restarts, 0);
    assert.deepEqual(factory.addresses, [ADDRESS]);
    await sidecar.stop();
  });

  void test('unreachable: down at once, saying so; back when it answers; jobs wait for it within their deadline', async () => {
    const { clock, remote, sidecar, logger } = await setup();
    remote.answersHealth = false;
    sidecar.start();
    await clock.advance(0);
    assert.equal(sidecar.health().state, 'down');
    assert.match(sidecar.health().message, new RegExp(`^${ADDRESS} unreachable: 14 UNAVAILABLE`));
    assert.equal(sidecar.health().pid, null);
    const late = assert.rejects(sidecar.acquire(clock.now() + 2_000), (e: unknown) => {
      assert.ok(e instanceof InferenceError);
      assert.equal(e.code, 'TIMEOUT');
      return true;
    });
    await clock.advance(2_000);
    await late;
    remote.answersHealth = true;
    await clock.advance(1_000);
    assert.equal(sidecar.health().state, 'ready');
    const lease = await sidecar.acquire(clock.now() + 1_000);
    assert.equal(lease.watchExit, null, 'a remote process exit is not seen here');
    assert.equal(sidecar.health().state, 'busy');
    sidecar.release(lease, null);
    assert.equal(logger.matching(/-> down/).length, 1, 'logged once, when it changed');
    await sidecar.stop();
  });

  void test('unreachable: a job waiting for it is released at once when its signal aborts (cancel, graceful stop)', async () => {
    const { clock, remote, sidecar } = await setup();
    remote.answersHealth = false;
    sidecar.start();
    await clock.advance(0);
    assert.equal(sidecar.health().state, 'down');
    const abort = new AbortController();
    let settled = false;
    const waiting = sidecar.waitUntilReady(300_000, abort.signal).finally(() => (settled = true));
    await clock.advance(5_000);
    assert.equal(settled, false, 'still waiting for the sidecar');
    abort.abort();
    await assert.rejects(waiting, isInferenceError('CANCELLED'));
    await assert.rejects(sidecar.waitUntilReady(300_000, abort.signal), isInferenceError('CANCELLED'));
    await sidecar.stop();
  });

  void test('a sidecar known to be up may miss two checks; at the third in a row it is down; nothing is killed', async () => {
    const { clock, remote, sidecar } = await setup();
    sidecar.start();
    await clock.advance(0);
    remote.answersHealth = false;
    await clock.advance(10_000);
    assert.equal(sidecar.health().state, 'ready');
    await clock.advance(5_000);
    assert.equal(sidecar.health().state, 'down');
    assert.deepEqual(remote.signals, []);
    remote.answersHealth = true;
    await clock.advance(1_000);
    assert.equal(sidecar.health().state, 'ready');
    assert.equal(sidecar.health().restarts, 0);
    await sidecar.stop();
  });

  void test('a failed engine answers FAILED: jobs fail at once; a check it then misses makes it down at once', async () => {
    const { clock, remote, sidecar } = await setup('FAILED');
    remote.message = 'engine trellis2 failed to load: weights missing';
    sidecar.start();
    await clock.advance(0);
    assert.equal(sidecar.health().state, 'failed');
    await assert.rejects(sidecar.acquire(clock.now() + 60_000), isInferenceError('UNAVAILABLE', /weights missing/));
    remote.answersHealth = false;
    await clock.advance(1_000);
    assert.equal(sidecar.health().state, 'down');
    await sidecar.stop();
  });

  void test('restart is refused: this api does not run it', async () => {
    const { clock, remote, sidecar } = await setup();
    sidecar.start();
    await clock.advance(0);
    await assert.rejects(sidecar.restart(), (e: unknown) => {
      assert.ok(e instanceof InferenceError);
      assert.equal(e.code, 'UNAVAILABLE');
      assert.match(e.message, /not managed by this api/);
      return true;
    });
    assert.deepEqual(remote.signals, []);
    await sidecar.stop();
  });

  void test('an interrupted job it does not stop is reported, never killed', async () => {
    const { clock, remote, sidecar, logger } = await setup();
    sidecar.start();
    await clock.advance(0);
    const lease = await sidecar.acquire(clock.now() + 1_000);
    remote.state = 'BUSY';
    sidecar.release(lease, 'job t passed its 1 s limit');
    await clock.advance(5_000);
    assert.equal(
      logger.matching(/did not stop its job within 5000 ms after job t passed its 1 s limit; .* cannot be restarted/).length,
      1,
    );
    assert.deepEqual(remote.signals, []);
    await sidecar.stop();
  });

  void test('stop: down, the connection closed, no more checks', async () => {
    const { clock, factory, sidecar } = await setup();
    sidecar.start();
    await clock.advance(0);
    await sidecar.stop();
    await sidecar.stop();
    assert.equal(sidecar.health().state, 'down');
    assert.equal(sidecar.health().message, 'stopped');
    assert.equal(factory.closed, 1);
    await clock.advance(60_000);
    assert.equal(sidecar.health().state, 'down');
  });
});
