import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseCursor } from './sse-cursor';

void describe('SseCursor (resume logic)', () => {
  void it('always sends the current state first, even if the client already had it', () => {
    const cursor = new SseCursor(SseCursor.parseLastEventId('7'));
    assert.equal(cursor.lastEventId, 7);
    assert.equal(cursor.accept(7), true);
    assert.equal(cursor.sent, 7);
  });

  void it('then drops events raced in that are not newer than what was sent', () => {
    const cursor = new SseCursor(undefined);
    assert.equal(cursor.accept(5), true);
    assert.equal(cursor.accept(4), false);
    assert.equal(cursor.accept(5), false);
    assert.equal(cursor.accept(6), true);
    assert.equal(cursor.accept(8), true);
    assert.equal(cursor.accept(7), false);
  });

  void it('ignores a Last-Event-ID that is not a number', () => {
    assert.equal(SseCursor.parseLastEventId('abc'), undefined);
    assert.equal(SseCursor.parseLastEventId(''), undefined);
    assert.equal(SseCursor.parseLastEventId(undefined), undefined);
    assert.equal(SseCursor.parseLastEventId(['3', '4']), 3);
  });
});
