import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressThrottle } from './progress-throttle';

void describe('ProgressThrottle', () => {
  void it('lets a stage change through at once and others at most every interval', () => {
    let now = 0;
    const throttle = new ProgressThrottle(250, () => now);
    assert.equal(throttle.accept({ stage: 'preprocess', percent: 1 }), true);
    now = 100;
    assert.equal(throttle.accept({ stage: 'preprocess', percent: 3 }), false);
    assert.equal(throttle.accept({ stage: 'structure', percent: 4 }), true);
    now = 200;
    assert.equal(throttle.accept({ stage: 'structure', percent: 9 }), false);
    now = 360;
    assert.equal(throttle.accept({ stage: 'structure', percent: 10 }), true);
  });

  void it('drops a report that changes neither the stage nor the whole percent', () => {
    let now = 0;
    const throttle = new ProgressThrottle(0, () => now);
    assert.equal(throttle.accept({ stage: 'geometry', percent: 40 }), true);
    now = 1000;
    assert.equal(throttle.accept({ stage: 'geometry', percent: 40.2 }), false);
    assert.equal(throttle.accept({ stage: 'geometry', percent: 41 }), true);
  });

  void it('trusts the sidecar for monotonic progress: a lower percent is not filtered here', () => {
    let now = 0;
    const throttle = new ProgressThrottle(250, () => now);
    assert.equal(throttle.accept({ stage: 'geometry', percent: 40 }), true);
    now = 100;
    assert.equal(throttle.accept({ stage: 'geometry', percent: 30 }), false, 'throttled: not due yet');
    now = 300;
    assert.equal(throttle.accept({ stage: 'geometry', percent: 30 }), true, 'due: passed as reported');
  });

  void it('always passes 100 %', () => {
    const throttle = new ProgressThrottle(10_000, () => 0);
    assert.equal(throttle.accept({ stage: 'export', percent: 90 }), true);
    assert.equal(throttle.accept({ stage: 'export', percent: 100 }), true);
  });
});
