import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fakeManagedSidecar, isInferenceError } from '../../../test/inference/fakes';
import { InferenceError } from '../inference.repository';
import { DEFAULT_SIDECAR_OPTIONS, SidecarOptions } from './sidecar';

const setup = fakeManagedSidecar;

async function startReady(options: Partial<SidecarOptions> = {}) {
  const env = setup(options);
  env.sidecar.start();
  await env.clock.advance(DEFAULT_SIDECAR_OPTIONS.startupPollMs);
  assert.equal(env.sidecar.health().state, 'ready');
  return env;
}

void describe('ManagedSidecar (fake process, transport and clock)', { timeout: 30_000 }, () => {
  void test('spawns one sidecar, is ready after its first READY answer, logs each state change once', async () => {
    const { clock, launcher, logger, sidecar } = setup();
    launcher.initialState = 'LOADING';
    sidecar.start();
    sidecar.start();
    await clock.advance(0);
    assert.equal(launcher.sidecars.length, 1);
    assert.equal(sidecar.health().state, 'starting');
    await clock.advance(250);
    assert.equal(sidecar.health().state, 'loading');
    launcher.current.state = 'READY';
    await clock.advance(250);
    const health = sidecar.health();
    assert.equal(health.state, 'ready');
    assert.equal(health.pid, launcher.current.pid);
    assert.equal(health.engine, 'simulate');
    assert.equal(health.managed, true);
    await clock.advance(60_000);
    assert.equal(logger.matching(/-> ready/).length, 1, logger.lines.join('\n'));
    assert.equal(logger.matching(/-> loading/).length, 1);
  });

  void test('a crash restarts with backoff 1 s, 2 s, 4 s ... capped at 30 s, each one counted', async () => {
    const { clock, launcher, logger, sidecar } = await startReady();
    const delays = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    for (const [index, delay] of delays.entries()) {
      launcher.current.exit({ code: 1, signal: null });
      await clock.advance(0);
      assert.equal(sidecar.health().state, 'restarting');
      assert.equal(sidecar.health().pid, null);
      await clock.advance(delay - 1);
      assert.equal(launcher.sidecars.length, index + 1, `no respawn before ${delay} ms`);
      await clock.advance(1);
      assert.equal(launcher.sidecars.length, index + 2, `respawn at ${delay} ms`);
      await clock.advance(250);
      assert.equal(sidecar.health().state, 'ready');
    }
    assert.equal(sidecar.health().restarts, delays.length);
    assert.equal(logger.matching(/^error sidecar pid \d+ exit code 1; restarting in 30000 ms/).length, 2);
  });

  void test('the backoff starts again from 1 s after a healthy minute', async () => {
    const { clock, launcher } = await startReady();
    for (let i = 0; i < 3; i++) {
      launcher.current.exit({ code: 1, signal: null });
      await clock.advance(30_000);
    }
    assert.equal(launcher.sidecars.length, 4);
    await clock.advance(61_000);
    launcher.current.exit({ code: null, signal: 'SIGSEGV' });
    await clock.advance(1_000);
    assert.equal(launcher.sidecars.length, 5, 'respawned after 1 s');
  });

  void test("a crash is explained in health by the sidecar's last error line", async () => {
    const { clock, launcher, sidecar } = await startReady();
    launcher.current.spec.onLine('stderr', '2026-01-01T00:00:00 ERROR invalid configuration: KILN_LISTEN: bad');
    launcher.current.exit({ code: 2, signal: null });
    await clock.advance(0);
    assert.equal(
      sidecar.health().message,
      'sidecar exit code 2 (last error: 2026-01-01T00:00:00 ERROR invalid configuration: KILN_LISTEN: bad); ' +
        'restarting in 1 s',
    );
  });

  void test('exits before ready three times in a row: failed (jobs refused at once, health 503), still tried again; ready clears it', async () => {
    const { clock, launcher, sidecar } = setup();
    launcher.initialState = 'LOADING';
    sidecar.start();
    await clock.advance(0);
    for (const [index, delay] of [1_000, 2_000, 4_000].entries()) {
      launcher.current.spec.onLine('stderr', 'ERROR invalid configuration: KILN_TRELLIS2_TEXTURE_SIZE: bad');
      launcher.current.exit({ code: 2, signal: null });
      await clock.advance(0);
      assert.equal(sidecar.health().state, index < 2 ? 'restarting' : 'failed');
      await clock.advance(delay);
    }
    assert.equal(launcher.sidecars.length, 4, 'still tried again');
    assert.equal(sidecar.health().state, 'failed');
    assert.match(
      sidecar.health().message,
      /^the sidecar exited before it was ready 3 times in a row: exit code 2 \(last error: .*KILN_TRELLIS2_TEXTURE_SIZE: bad\); starting it again$/,
    );
    await assert.rejects(sidecar.acquire(clock.now() + 60_000), isInferenceError('UNAVAILABLE'));
    launcher.current.state = 'READY';
    await clock.advance(DEFAULT_SIDECAR_OPTIONS.startupPollMs);
    assert.equal(sidecar.health().state, 'ready');
    // Counted afresh: one crash after a ready process is a restart again.
    launcher.current.exit({ code: 1, signal: null });
    await clock.advance(0);
    assert.equal(sidecar.health().state, 'restarting');
  });

  void test('exit 75 (planned recycle) respawns at once', async () => {
    const { clock, launcher, logger, sidecar } = await startReady();
    launcher.current.exit({ code: 75, signal: null });
    await clock.advance(0);
    assert.equal(launcher.sidecars.length, 2);
    assert.equal(sidecar.health().restarts, 1);
    assert.equal(logger.matching(/asked to be recycled/).length, 1);
  });

  void test('unanswered health checks: two are tolerated, three in a row kill and replace the sidecar', async () => {
    const { clock, launcher, sidecar } = await startReady();
    const first = launcher.current;
    first.answersHealth = false;
    await clock.advance(10_000);
    first.answersHealth = true;
    await clock.advance(5_000);
    assert.deepEqual(first.signals, []);
    first.answersHealth = false;
    await clock.advance(15_000);
    assert.deepEqual(first.signals, ['SIGKILL']);
    assert.equal(launcher.sidecars.length, 2, 'replaced at once, without backoff');
    await clock.advance(250);
    assert.equal(sidecar.health().state, 'ready');
    assert.equal(sidecar.health().restarts, 1);
  });

  void test('a sidecar still not ready after readyTimeoutMs is killed and replaced', async () => {
    const { clock, launcher, logger, sidecar } = setup({ readyTimeoutMs: 60_000 });
    launcher.initialState = 'LOADING';
    sidecar.start();
    await clock.advance(59_000);
    assert.deepEqual(launcher.current.signals, []);
    await clock.advance(1_500);
    assert.deepEqual(launcher.sidecars[0].signals, ['SIGKILL']);
    assert.equal(launcher.sidecars.length, 2);
    assert.equal(logger.matching(/was not ready 60 s after it started: killing sidecar pid/).length, 1);
  });

  void test('acquire waits for ready, bounded by the deadline (TIMEOUT), and honours the abort signal', async () => {
    const { clock, launcher, sidecar } = setup();
    launcher.initialState = 'LOADING';
    sidecar.start();
    await clock.advance(0);
    const timedOut = sidecar.acquire(clock.now() + 3_000);
    const rejection = assert.rejects(timedOut, (e: unknown) => e instanceof InferenceError && e.code === 'TIMEOUT');
    await clock.advance(3_000);
    await rejection;
    const controller = new AbortController();
    const cancelled = sidecar.acquire(clock.now() + 60_000, controller.signal);
    const cancelRejection = assert.rejects(
      cancelled,
      (e: unknown) => e instanceof InferenceError && e.code === 'CANCELLED',
    );
    controller.abort();
    await clock.advance(0);
    await cancelRejection;
    const granted = sidecar.acquire(clock.now() + 60_000);
    launcher.current.state = 'READY';
    await clock.advance(250);
    const lease = await granted;
    assert.equal(sidecar.health().state, 'busy');
    sidecar.release(lease, null);
  });

  void test('an engine that failed to load fails jobs at once with UNAVAILABLE and its message', async () => {
    const { clock, launcher, sidecar } = setup();
    launcher.initialState = 'FAILED';
    sidecar.start();
    await clock.advance(0);
    launcher.current.message = 'engine trellis2 failed to load: weights missing';
    await clock.advance(250);
    assert.equal(sidecar.health().state, 'failed');
    await assert.rejects(sidecar.acquire(clock.now() + 60_000), isInferenceError('UNAVAILABLE', /weights missing/));
  });

  void test('stop: SIGTERM, SIGKILL after the grace when it is ignored, then down and no respawn', async () => {
    const { clock, launcher, sidecar } = await startReady({ stopGraceMs: 10_000 });
    launcher.current.obeysSigterm = false;
    const stopped = sidecar.stop();
    await clock.advance(9_999);
    assert.deepEqual(launcher.current.signals, ['SIGTERM']);
    await clock.advance(1);
    await stopped;
    assert.deepEqual(launcher.current.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(sidecar.health().state, 'down');
    await clock.advance(120_000);
    assert.equal(launcher.sidecars.length, 1);
  });

  void test('graceful restart waits for the running job; force kills at once', async () => {
    const { clock, launcher, sidecar } = await startReady({ stopGraceMs: 10_000 });
    const lease = await sidecar.acquire(clock.now() + 60_000);
    const first = launcher.current;
    const restarting = sidecar.restart({ force: false });
    await clock.advance(30_000);
    assert.deepEqual(first.signals, [], 'not while the job runs');
    const blocked = assert.rejects(
      sidecar.acquire(clock.now() + 1_000),
      (e: unknown) => e instanceof InferenceError && e.code === 'TIMEOUT',
      'no new job slips in before the restart',
    );
    await clock.advance(1_000);
    await blocked;
    sidecar.release(lease, null);
    await clock.advance(0);
    await restarting;
    assert.deepEqual(first.signals, ['SIGTERM']);
    assert.equal(launcher.sidecars.length, 2);
    await clock.advance(250);
    // The job on the second process hears that an operator's restart ended it; a job on the third,
    // whose process dies of itself, does not.
    const heard: [string, boolean][] = [];
    const running = await sidecar.acquire(clock.now() + 60_000);
    running.watchExit?.((description, byOperator) => heard.push([description, byOperator]));
    await sidecar.restart({ force: true });
    await clock.advance(0);
    assert.deepEqual(launcher.sidecars[1].signals, ['SIGKILL']);
    assert.equal(launcher.sidecars.length, 3);
    assert.equal(sidecar.health().restarts, 2);
    assert.deepEqual(heard, [['killed by SIGKILL', true]]);
    sidecar.release(running, null);
    await clock.advance(250);
    const next = await sidecar.acquire(clock.now() + 60_000);
    next.watchExit?.((description, byOperator) => heard.push([description, byOperator]));
    launcher.current.exit({ code: 1, signal: null });
    await clock.advance(0);
    assert.deepEqual(heard[1], ['exit code 1', false]);
  });

  void test("the sidecar's lines go to the sidecar logger at a level read from the line", async () => {
    const { launcher, sidecarLogger } = await startReady();
    launcher.current.spec.onLine('stderr', '2026-01-01T00:00:00 INFO ready: engine simulate on cpu');
    launcher.current.spec.onLine('stderr', '2026-01-01T00:00:00 WARNING task 1 refused: busy');
    launcher.current.spec.onLine('stderr', '2026-01-01T00:00:00 ERROR engine failed to load');
    assert.deepEqual(sidecarLogger.lines, [
      'log 2026-01-01T00:00:00 INFO ready: engine simulate on cpu',
      'warn 2026-01-01T00:00:00 WARNING task 1 refused: busy',
      'error 2026-01-01T00:00:00 ERROR engine failed to load',
    ]);
  });
});
