import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock, FakeLauncher, FakeSidecar, FakeTransportFactory } from '../../../test/inference/fakes';
import { GenerateCallHandle, SidecarTransport } from '../client/sidecar-transport';
import type { HealthResponse__Output } from '../generated/kiln3d/inference/v1/HealthResponse';
import { HealthMonitor, HealthVerdict, healthCheckDelay } from './health-monitor';
import { DEFAULT_SIDECAR_OPTIONS } from './sidecar';

const options = { ...DEFAULT_SIDECAR_OPTIONS, unhealthyAfterFailures: 3 };

/** A verdict as a short word, failures and detail included where there are some. */
function brief(verdict: HealthVerdict): string {
  switch (verdict.kind) {
    case 'answered':
      return `answered ${verdict.health.state}`;
    case 'silent':
      return `silent (${verdict.detail})`;
    case 'missed':
    case 'unresponsive':
      return `${verdict.kind} ${verdict.failures}`;
  }
}

async function setup() {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const sidecar = (await launcher.launch({ command: 'x', args: [], cwd: '/', env: {}, onLine: () => undefined })) as FakeSidecar;
  const transport = new FakeTransportFactory(() => sidecar).connect('unix:///x.sock');
  const verdicts: string[] = [];
  const monitor = new HealthMonitor(transport, clock, options, () => 1_000, (v) => verdicts.push(brief(v)));
  return { clock, sidecar, monitor, verdicts };
}

void describe('HealthMonitor (fake transport and clock)', { timeout: 30_000 }, () => {
  void test('verdicts: silent until the first answer, then missed, and unresponsive from the limit on', async () => {
    const { clock, sidecar, monitor, verdicts } = await setup();
    sidecar.answersHealth = false;
    monitor.checkIn(0);
    await clock.advance(1_000);
    sidecar.answersHealth = true;
    await clock.advance(1_000);
    sidecar.answersHealth = false;
    await clock.advance(4_000);
    sidecar.answersHealth = true;
    sidecar.state = 'BUSY';
    await clock.advance(1_000);
    sidecar.answersHealth = false;
    await clock.advance(1_000);
    assert.deepEqual(verdicts, [
      'silent (14 UNAVAILABLE: No connection established)',
      'silent (14 UNAVAILABLE: No connection established)',
      'answered READY',
      'missed 1',
      'missed 2',
      'unresponsive 3',
      'unresponsive 4',
      'answered BUSY',
      'missed 1',
    ]);
    monitor.stop();
  });

  void test('checks at the delay it is given after each one; checkIn(0) checks now instead of the planned one', async () => {
    const { clock, monitor, verdicts } = await setup();
    monitor.checkIn(250);
    await clock.advance(249);
    assert.equal(verdicts.length, 0);
    await clock.advance(1);
    assert.equal(verdicts.length, 1);
    await clock.advance(500);
    monitor.checkIn(0);
    await clock.advance(0);
    assert.equal(verdicts.length, 2);
    await clock.advance(999);
    assert.equal(verdicts.length, 2, 'the earlier plan was replaced');
    await clock.advance(1);
    assert.equal(verdicts.length, 3);
    monitor.stop();
  });

  void test('after stop nothing is checked or reported, not even an answer already on its way', async () => {
    const clock = new FakeClock();
    let answer!: (health: HealthResponse__Output) => void;
    let asked = 0;
    const transport = new (class extends SidecarTransport {
      health(): Promise<HealthResponse__Output> {
        asked += 1;
        return new Promise((resolve) => (answer = resolve));
      }
      generate(): GenerateCallHandle {
        throw new Error('not used here');
      }
      close(): void {}
    })();
    const verdicts: HealthVerdict[] = [];
    const monitor = new HealthMonitor(transport, clock, options, () => 1_000, (v) => verdicts.push(v));
    monitor.checkIn(0);
    await clock.advance(0);
    assert.equal(asked, 1);
    monitor.stop();
    const launcher = new FakeLauncher();
    const sidecar = (await launcher.launch({ command: 'x', args: [], cwd: '/', env: {}, onLine: () => undefined })) as FakeSidecar;
    answer(sidecar.health());
    await clock.advance(10_000);
    assert.deepEqual(verdicts, []);
    assert.equal(asked, 1);
    monitor.checkIn(0);
    await clock.advance(1_000);
    assert.equal(asked, 1, 'a stopped monitor stays stopped');
  });

  void test('the delay: the full period when ready or running our job, quick while starting or changing', () => {
    const timings = { ...DEFAULT_SIDECAR_OPTIONS, healthIntervalMs: 5_000, startupPollMs: 250 };
    assert.equal(healthCheckDelay('ready', false, timings), 5_000);
    assert.equal(healthCheckDelay('busy', true, timings), 5_000);
    assert.equal(healthCheckDelay('busy', false, timings), 250, 'waiting for an interrupted job to stop');
    assert.equal(healthCheckDelay('starting', false, timings), 250);
    assert.equal(healthCheckDelay('loading', false, timings), 250);
    assert.equal(healthCheckDelay('restarting', false, timings), 250);
    assert.equal(healthCheckDelay('down', false, timings), 1_000);
    assert.equal(healthCheckDelay('failed', false, timings), 1_000);
  });
});
