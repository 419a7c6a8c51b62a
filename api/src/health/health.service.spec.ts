import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthStatusCode } from './health.service';

void describe('health status code', () => {
  void it('is 200 while redis is up and the sidecar is not down or failed', () => {
    for (const state of ['ready', 'busy', 'loading', 'starting', 'restarting'] as const) {
      assert.equal(healthStatusCode(true, state), 200, state);
    }
  });
  void it('is 503 when redis is down or the sidecar is down/failed/unknown', () => {
    assert.equal(healthStatusCode(false, 'ready'), 503);
    assert.equal(healthStatusCode(true, 'down'), 503);
    assert.equal(healthStatusCode(true, 'failed'), 503);
    assert.equal(healthStatusCode(true, undefined), 503);
  });
});
