import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORE_FULL_SHARE, parseMemoryInfo, storeIsFull } from './redis-memory';

// The shape of a redis-server 7 `INFO memory` reply (CRLF lines, a section header).
const INFO = [
  '# Memory',
  'used_memory:943718400',
  'used_memory_human:900.00M',
  'used_memory_rss:991952896',
  'maxmemory:1073741824',
  'maxmemory_human:1.00G',
  'maxmemory_policy:noeviction',
  '',
].join('\r\n');

void describe('the task store memory (RedisMemory)', () => {
  void it('reads used_memory and maxmemory, not their _human or _rss siblings', () => {
    assert.deepEqual(parseMemoryInfo(INFO), { usedBytes: 943718400, maxBytes: 1073741824 });
  });

  void it('refuses a reply that hides either field', () => {
    assert.throws(() => parseMemoryInfo('# Memory\r\nused_memory_human:1M\r\n'), /no used_memory/);
    assert.throws(() => parseMemoryInfo('# Memory\r\nused_memory:10\r\n'), /no maxmemory/);
  });

  void it(`is full at ${STORE_FULL_SHARE * 100} % of maxmemory, never without one`, () => {
    const max = 1000;
    assert.equal(storeIsFull(max * STORE_FULL_SHARE - 1, max), false);
    assert.equal(storeIsFull(max * STORE_FULL_SHARE, max), true);
    assert.equal(storeIsFull(max * 2, max), true);
    assert.equal(storeIsFull(10 ** 12, 0), false, 'maxmemory 0: no limit');
  });
});
