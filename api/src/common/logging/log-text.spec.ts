import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LOGGED_URL, forLog } from './log-text';

void describe('forLog', () => {
  void it('keeps a normal URL as it is', () => {
    assert.equal(forLog('/api/tasks/3f0c2a4e?x=1'), '/api/tasks/3f0c2a4e?x=1');
  });

  void it('cuts a long URL to 512 characters and says how long it was', () => {
    const long = `/${'a'.repeat(10_000)}`;
    const logged = forLog(long);
    assert.equal(logged, `${long.slice(0, MAX_LOGGED_URL)}... (10001 chars)`);
  });

  void it('escapes control characters (no terminal escapes, no forged lines)', () => {
    assert.equal(forLog('/x\u001b[31m\r\nFAKE'), '/x\\x1b[31m\\x0d\\x0aFAKE');
  });
});
