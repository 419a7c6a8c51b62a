import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskEvent } from './task-event';

void describe('parseTaskEvent', () => {
  void it('reads "<seq>\\n<taskId>\\n<snapshot JSON>"', () => {
    const record = { task_id: 't', status: 'queued', created_at: 'c', updated_at: 'u' };
    assert.deepEqual(parseTaskEvent(`7\nt\n${JSON.stringify(record)}`), { seq: 7, taskId: 't', record });
  });

  void it('refuses a message without three parts, a seq that is no integer, or bad JSON', () => {
    assert.equal(parseTaskEvent('7\nt'), undefined);
    assert.equal(parseTaskEvent('x\nt\n{}'), undefined);
    assert.equal(parseTaskEvent('7\nt\n{'), undefined);
  });
});
