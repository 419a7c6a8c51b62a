import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../common/api-error';
import { SITE_SHARE, limitKey } from '../../common/client-address';
import { loadConfig } from '../../config/app-config';
import { StreamSlots } from './stream-slots';

const slots = (): StreamSlots =>
  new StreamSlots(loadConfig({ SSE_STREAMS_PER_CLIENT: '2', SSE_STREAMS_TOTAL: '100' }, '/tmp'));

/** The error code of taking a slot, or 'taken'. */
function take(from: StreamSlots, client: string): string {
  try {
    from.take(client);
    return 'taken';
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return String(error.code);
  }
}

void describe('stream slots', () => {
  void it('holds SSE_STREAMS_PER_CLIENT per client and gives a released one back once', () => {
    const s = slots();
    const release = s.take('203.0.113.7');
    assert.equal(take(s, '203.0.113.7'), 'taken');
    assert.equal(take(s, '203.0.113.7'), 'too_many_streams');
    release();
    release();
    assert.equal(s.open('203.0.113.7'), 1);
    assert.equal(take(s, '203.0.113.7'), 'taken');
    assert.equal(take(s, '203.0.113.8'), 'taken', 'another client has its own');
  });

  void it("holds SITE_SHARE clients' worth per IPv6 /48, all its /64s together", () => {
    // A trial held all 2,000 streams of an api from 125 /64s.
    const s = slots();
    const client = (n: number): string => limitKey(`2001:db8:5:${n.toString(16)}::1`);
    const releases: (() => void)[] = [];
    for (let n = 0; n < SITE_SHARE; n++) {
      for (let i = 0; i < 2; i++) releases.push(s.take(client(n)));
    }
    assert.equal(take(s, client(SITE_SHARE)), 'too_many_streams', 'a fresh /64 of the same /48');
    assert.equal(take(s, limitKey('2001:db8:6::1')), 'taken', 'another /48');
    releases[0]();
    assert.equal(take(s, client(SITE_SHARE)), 'taken', 'one given back: room in the site again');
    assert.equal(s.open(), 2 * SITE_SHARE + 1);
  });
});
