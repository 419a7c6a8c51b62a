import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RestartBackoff } from './restart-backoff';

const options = { backoffInitialMs: 1_000, backoffMaxMs: 30_000, healthyResetMs: 60_000 };

void describe('RestartBackoff', () => {
  void test('doubles from the initial delay up to the cap', () => {
    const backoff = new RestartBackoff(options);
    const delays = Array.from({ length: 7 }, () => backoff.nextDelay(0));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  void test('starts again from the initial delay only after a process stayed healthy healthyResetMs', () => {
    const backoff = new RestartBackoff(options);
    backoff.nextDelay(0);
    backoff.nextDelay(0);
    backoff.spawned();
    backoff.healthy(100_000);
    backoff.healthy(150_000);
    assert.equal(backoff.nextDelay(159_999), 4_000, 'healthy for 59.999 s only: the first healthy time counts');
    backoff.spawned();
    backoff.healthy(200_000);
    assert.equal(backoff.nextDelay(260_000), 1_000);
    backoff.spawned();
    assert.equal(backoff.nextDelay(900_000), 2_000, 'a process never healthy keeps the growing delay');
  });
});
