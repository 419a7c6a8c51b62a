import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ApiError } from '../common/api-error';
import type { WebhookConfig } from '../config/app-config';
import { type TaskRecord, toTaskView } from '../tasks/state/task-snapshot';
import { parseCallbackUrl } from './callback-url';
import { ForbiddenAddressError, type Resolver, guardedLookup } from './guarded-lookup';
import { isDelivered, webhookBody, webhookEventType } from './webhook-payload';
import { attemptsWithin, backoffMs } from './webhook-queue';
import { WebhookSender } from './webhook-sender';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const CONFIG: WebhookConfig = {
  secret: SECRET,
  ownerUrl: undefined,
  events: 'final',
  allowPrivate: false,
  retryForS: 60,
  timeoutMs: 1000,
  pendingPerClient: 20,
};

/** The lookup's answer for `hostname` when the resolver answers `addresses`. */
function lookUp(
  addresses: LookupAddress[],
  all: boolean,
): Promise<{ error: Error | null; address: unknown; family?: number }> {
  const resolver: Resolver = (_host, _options, callback) => callback(null, addresses);
  return new Promise((resolve) => {
    guardedLookup(resolver)('hooks.example.com', { all }, (error, address, family) =>
      resolve({ error, address, family }),
    );
  });
}

void describe('webhooks: payload, callback_url, lookup, retry bound', () => {
  void it('the body is {type, timestamp, data} with the snapshot GET /api/tasks/{id} answers (absolute URLs)', () => {
    const record: TaskRecord = {
      task_id: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
      status: 'completed',
      created_at: '2026-12-05T20:00:00.000Z',
      updated_at: '2026-12-05T20:00:41.000Z',
      model_id: 'b1c5a6a4-1f7e-4c3e-9a55-6b2d1e0f9a11',
      model_path: '/static/b1c5a6a4-1f7e-4c3e-9a55-6b2d1e0f9a11.glb',
      download_path: '/static/b1c5a6a4-1f7e-4c3e-9a55-6b2d1e0f9a11.source.glb',
      progress: 100,
      generation_time: 41,
    };
    const view = toTaskView(record, 'https://api.example.com');
    const body = JSON.parse(webhookBody(view, new Date(0))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['type', 'timestamp', 'data']);
    assert.equal(body['type'], 'task.completed');
    assert.equal(body['timestamp'], '2026-12-05T20:00:41.000Z');
    assert.deepEqual(body['data'], JSON.parse(JSON.stringify(view)));
    const data = body['data'] as Record<string, unknown>;
    assert.equal(
      data['model_url'],
      'https://api.example.com/static/b1c5a6a4-1f7e-4c3e-9a55-6b2d1e0f9a11.glb',
    );
    assert.equal(data['model_id'], undefined, 'no field the view hides');
  });

  void it('event types and which statuses each WEBHOOK_EVENTS mode delivers', () => {
    assert.equal(webhookEventType('failed'), 'task.failed');
    assert.equal(webhookEventType('queued'), 'task.queued');
    assert.deepEqual(
      (['queued', 'processing', 'completed', 'failed'] as const).filter((s) => isDelivered(s, 'final')),
      ['completed', 'failed'],
    );
    assert.ok(isDelivered('processing', 'all'));
  });

  void it('signs with standardwebhooks: the library verifier accepts the headers, and rejects another body', () => {
    const sender = new WebhookSender({ secret: SECRET, allowPrivate: false, timeoutMs: 1000 });
    const message = { id: 'msg_1', body: '{"type":"task.completed"}' };
    const headers = sender.signedHeaders(message);
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.match(headers['webhook-timestamp'], /^\d+$/);
    assert.deepEqual(new Webhook(SECRET).verify(message.body, headers), { type: 'task.completed' });
    assert.throws(() => new Webhook(SECRET).verify('{"type":"task.failed"}', headers));
    void sender.close();
  });

  void it('callback_url: absent or empty is none; a bad one is 400 invalid_option naming the field', () => {
    assert.equal(parseCallbackUrl({}, CONFIG), undefined);
    assert.equal(parseCallbackUrl({ callback_url: ' ' }, CONFIG), undefined);
    assert.equal(
      parseCallbackUrl({ callback_url: 'https://hooks.example.com/k' }, CONFIG),
      'https://hooks.example.com/k',
    );
    const cases: [unknown, WebhookConfig | undefined, string][] = [
      [{ callback_url: 'http://hooks.example.com/' }, CONFIG, 'Invalid callback_url: an https URL'],
      [
        { callback_url: 'https://169.254.169.254/' },
        CONFIG,
        'Invalid callback_url: a public address, not a link-local address 169.254.169.254',
      ],
      [
        { callback_url: ['https://a.example/', 'https://b.example/'] },
        CONFIG,
        'Invalid callback_url: send it once',
      ],
      [
        { callback_url: 'https://hooks.example.com/' },
        undefined,
        'Invalid callback_url: webhooks are off on this server (no WEBHOOK_SECRET)',
      ],
    ];
    for (const [body, config, message] of cases) {
      assert.throws(
        () => parseCallbackUrl(body, config),
        (error: unknown) => error instanceof ApiError && error.status === 400 && error.message === message,
        message,
      );
    }
  });

  void it('the guarded lookup pins public addresses and refuses a name with any forbidden one', async () => {
    const one = await lookUp([{ address: '8.8.8.8', family: 4 }], false);
    assert.deepEqual([one.error, one.address, one.family], [null, '8.8.8.8', 4]);
    const all = await lookUp([{ address: '2001:4860:4860::8888', family: 6 }], true);
    assert.deepEqual(all.address, [{ address: '2001:4860:4860::8888', family: 6 }]);
    for (const bad of ['127.0.0.1', '10.0.0.7', '169.254.169.254', '::ffff:127.0.0.1', 'fe80::1']) {
      const refused = await lookUp(
        [
          { address: '8.8.8.8', family: 4 },
          { address: bad, family: bad.includes(':') ? 6 : 4 },
        ],
        true,
      );
      assert.ok(refused.error instanceof ForbiddenAddressError, bad);
      assert.equal(refused.error.message, 'refused: hooks.example.com resolves to a non-public address');
      assert.ok(
        refused.error.reason.endsWith(` address ${bad.replace('::ffff:', '')}`),
        refused.error.reason,
      );
    }
  });

  void it('the attempts fit WEBHOOK_RETRY_FOR_S: backoffs plus timed-out attempts end within it', () => {
    assert.deepEqual([1, 2, 3, 4].map(backoffMs), [1000, 3000, 7000, 15000]);
    assert.equal(attemptsWithin(0, 1000), 1);
    // 0 | +1 s timeout +1 s | +1 s +3 s: the third starts at 6 s.
    assert.equal(attemptsWithin(6000, 1000), 3);
    assert.equal(attemptsWithin(5999, 1000), 2);
    for (const [retryFor, timeout] of [
      [86_400_000, 10_000],
      [3_600_000, 10_000],
      [10_000, 500],
    ]) {
      const n = attemptsWithin(retryFor, timeout);
      let start = 0;
      for (let k = 1; k < n; k++) start += timeout + backoffMs(k);
      assert.ok(start <= retryFor, `${n} attempts within ${retryFor} ms`);
      assert.ok(start + timeout + backoffMs(n) > retryFor || n === 30, 'and no more fit');
    }
  });
});
