import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWorkerRefusalCode, parseRestartReply, parseRestartRequest } from './worker-restart-protocol';

void describe('worker restart messages', () => {
  void it('a request is read whole or not at all', () => {
    assert.deepEqual(parseRestartRequest('{"request_id":"r","force":true,"by":"op"}'), {
      request_id: 'r',
      force: true,
      by: 'op',
    });
    for (const text of [
      'nope',
      '[]',
      'null',
      '{"request_id":"","force":true,"by":"op"}',
      '{"request_id":"r","force":"true","by":"op"}',
      '{"request_id":"r","force":false}',
    ]) {
      assert.equal(parseRestartRequest(text), undefined, text);
    }
  });

  void it('a reply: accepted with its fields, or refused with a code a worker may give', () => {
    const accepted = {
      request_id: 'r',
      ok: true,
      accepted: { force: false, previous_pid: null, waits_for_job: true, message: 'later' },
    };
    assert.deepEqual(parseRestartReply(JSON.stringify(accepted)), accepted);
    assert.deepEqual(parseRestartReply('{"request_id":"r","ok":false,"code":"sidecar_stopped"}'), {
      request_id: 'r',
      ok: false,
      code: 'sidecar_stopped',
    });
    for (const text of [
      '{"request_id":"r","ok":false,"code":"worker_not_found"}',
      '{"request_id":"r","ok":true}',
      '{"request_id":"r","ok":true,"accepted":{"force":false,"previous_pid":1.5,"waits_for_job":true,"message":""}}',
      '{"ok":false,"code":"internal_error"}',
    ]) {
      assert.equal(parseRestartReply(text), undefined, text);
    }
  });

  void it('a worker refuses only with its own codes', () => {
    for (const code of ['sidecar_not_managed', 'sidecar_stopped', 'internal_error'])
      assert.ok(isWorkerRefusalCode(code));
    for (const code of ['worker_no_answer', 'unauthorized', undefined]) assert.ok(!isWorkerRefusalCode(code));
  });
});
