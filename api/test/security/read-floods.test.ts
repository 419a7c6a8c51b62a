import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sendRaw } from '../support/raw-http';
import { useSecurityApi } from './support';

/**
 * Read floods (docs/design.md, HTTP contract): the task routes answer anyone with an id, so a
 * stranger can call them in a loop. READS_PER_MINUTE=5 makes the bound reachable; clients are
 * loopback aliases. The models under /static/ are not counted (share links, other sites' viewers).
 */
void describe('security: read floods (READS_PER_MINUTE=5)', () => {
  const api = useSecurityApi('reads', { READS_PER_MINUTE: '5' });

  void it('attack: one client polls task, preview, stream and cancel routes in a loop -> 429 too_many_requests with Retry-After after 5 a minute', async () => {
    const id = randomUUID();
    const tries = [
      { path: `/api/tasks/${id}`, method: 'GET' },
      { path: `/api/tasks/${id}/preview`, method: 'GET' },
      { path: `/api/status/${id}`, method: 'GET' },
      { path: `/api/tasks/${id}`, method: 'DELETE' },
      { path: `/api/tasks/${id}`, method: 'GET' },
    ];
    for (const { path, method } of tries) {
      const reply = await sendRaw(`${api().url}${path}`, { method, localAddress: '127.0.0.2' });
      assert.equal(reply.status, 404, `${method} ${path}: ${reply.body}`);
    }
    const refused = await sendRaw(`${api().url}/api/tasks/${id}`, { localAddress: '127.0.0.2' });
    assert.equal(refused.status, 429, refused.body);
    assert.deepEqual(JSON.parse(refused.body), {
      success: false,
      error: 'Too many requests, retry later',
      code: 'too_many_requests',
    });
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(refused.headers['retry-after']));
    const cancel = await sendRaw(`${api().url}/api/tasks/${id}`, {
      method: 'DELETE',
      localAddress: '127.0.0.2',
    });
    assert.equal(cancel.status, 429, 'cancels are counted too');
  });

  void it('the models stay fast for share links: /static/ is not counted, and another client is not limited', async () => {
    for (let i = 0; i < 8; i++) {
      const model = await sendRaw(`${api().url}/static/${randomUUID()}.glb`, { localAddress: '127.0.0.2' });
      assert.equal(model.status, 404, model.body);
    }
    const other = await sendRaw(`${api().url}/api/tasks/${randomUUID()}`, { localAddress: '127.0.0.3' });
    assert.equal(other.status, 404, other.body);
  });
});
