import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJson } from '../support/http-client';
import { type RawReply, sendRaw } from '../support/raw-http';
import { postPicture, useSecurityApi } from './support';

/**
 * One client may hold at most half the queue at the defaults (ACTIVE_TASKS_PER_CLIENT unset: half
 * the live capacity, docs/design.md, HTTP contract). Clients are told apart by loopback aliases
 * (127.0.0.2, 127.0.0.3, ...) and, behind the trusted proxy (loopback, the default TRUST_PROXY),
 * by CF-Connecting-IP; IPv6 visitors count per /64.
 */
void describe('security: fair shares at the defaults (MAX_QUEUE=9, ACTIVE_TASKS_PER_CLIENT unset)', () => {
  const api = useSecurityApi('fair-shares', { MAX_QUEUE: '9', ACTIVE_TASKS_PER_CLIENT: '' });

  /** Half the capacity /api/health reports (1 running per live worker + MAX_QUEUE). */
  async function share(): Promise<number> {
    const queue = (await getJson(`${api().url}/api/health`)).body['queue'] as Record<string, number>;
    return Math.max(1, Math.floor(queue['capacity'] / 2));
  }

  /** Cancels the task a 202 made, as its maker (its slot goes back). */
  async function cancel(reply: RawReply): Promise<void> {
    const { task_id: id, task_token: token } = JSON.parse(reply.body) as {
      task_id: string;
      task_token: string;
    };
    const done = await sendRaw(`${api().url}/api/tasks/${id}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': token },
    });
    assert.equal(done.status, 200, done.body);
  }

  void it('attack: one address sends uploads until refused -> it holds half the capacity, then 429 with Retry-After; another address still gets in', async () => {
    const limit = await share();
    assert.ok(limit >= 2, `capacity ${limit * 2}`);
    const made: RawReply[] = [];
    for (let i = 0; i < limit; i++) {
      const reply = await postPicture(api().url, {}, '127.0.0.2');
      assert.equal(reply.status, 202, reply.body);
      made.push(reply);
    }
    const refused = await postPicture(api().url, {}, '127.0.0.2');
    assert.equal(refused.status, 429, refused.body);
    assert.equal((JSON.parse(refused.body) as { code: string }).code, 'too_many_active_tasks');
    assert.ok(Number(refused.headers['retry-after']) >= 1, String(refused.headers['retry-after']));
    const other = await postPicture(api().url, {}, '127.0.0.3');
    assert.equal(other.status, 202, other.body);
    for (const reply of [...made, other]) await cancel(reply);
  });

  void it('attack: one IPv6 household takes a fresh address of its /64 per upload -> one client, 429 after its share', async () => {
    const limit = await share();
    // Behind the trusted proxy (loopback): the visitor's address is CF-Connecting-IP.
    const visitor = (n: number): Record<string, string> => ({
      'CF-Connecting-IP': `2001:db8:7:9:${n.toString(16)}::1`,
    });
    for (let i = 0; i < limit; i++) {
      const reply = await postPicture(api().url, visitor(i + 1));
      assert.equal(reply.status, 202, reply.body);
    }
    const refused = await postPicture(api().url, visitor(0xbeef));
    assert.equal(refused.status, 429, refused.body);
    // Another /64 is another client.
    const neighbour = await postPicture(api().url, { 'CF-Connecting-IP': '2001:db8:7:a::1' });
    assert.equal(neighbour.status, 202, neighbour.body);
  });
});
