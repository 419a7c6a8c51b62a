import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterFromMs } from './client-rate-limit';

void describe('upload rate Retry-After', () => {
  void it('is the whole seconds until the window ends, at least 1', () => {
    assert.equal(retryAfterFromMs(59_001), 60);
    assert.equal(retryAfterFromMs(1000), 1);
    assert.equal(retryAfterFromMs(1), 1);
    assert.equal(retryAfterFromMs(0), 1);
  });
});
