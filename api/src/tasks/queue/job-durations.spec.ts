import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDurationS, meanDuration, retryAfterSeconds } from './job-durations';

void describe('job durations', () => {
  void it('uses the fallback before any job ran', () => {
    assert.equal(meanDuration([], 60), 60);
    assert.equal(meanDuration([Number.NaN], 60), 60);
  });

  void it('is the mean of recent durations', () => {
    assert.equal(meanDuration([10, 20, 30], 60), 20);
    assert.equal(meanDuration([12.4, Number.NaN, -1], 60), 12.4);
  });

  void it('bounds Retry-After to 1..600 s', () => {
    assert.equal(retryAfterSeconds(0.2), 1);
    assert.equal(retryAfterSeconds(41.1), 42);
    assert.equal(retryAfterSeconds(5000), 600);
  });

  void it('assumes simulate takes SIMULATE_SECONDS and real engines a minute', () => {
    assert.equal(defaultDurationS('simulate', 30), 30);
    assert.equal(defaultDurationS('auto', 30), 60);
  });
});
