import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECONNECT_MAX_DELAY_MS, reconnectDelayMs } from './redis.service';

void describe('reconnectDelayMs (the Bull queues’ reconnection curve)', () => {
  void it('grows by 100 ms an attempt and never waits more than 2 s, however long the outage', () => {
    assert.deepEqual([1, 2, 5].map(reconnectDelayMs), [100, 200, 500]);
    // Bull's own default at the 10th attempt is min(e^10, 20 s) = 20 s; ours stays at the cap.
    for (const attempt of [20, 100, 10_000]) assert.equal(reconnectDelayMs(attempt), RECONNECT_MAX_DELAY_MS);
    assert.equal(RECONNECT_MAX_DELAY_MS, 2000);
  });
});
