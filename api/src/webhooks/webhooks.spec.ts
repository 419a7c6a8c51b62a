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
import type { Job } from 'bull';
import type { Clock } from '../common/clock';
import { WebhookAttempts } from './webhook-delivery.processor';
import {
  type DeliveryJob,
  HOLD_BACK_MS,
  RETRY_BASE_MS,
  RunAgain,
  WEBHOOK_BACKOFF,
  WEBHOOK_QUEUE_SETTINGS,
  attemptsWithin,
  backoffMs,
  deliveryJobOptions,
} from './webhook-queue';
import { type AttemptResult, WebhookSender } from './webhook-sender';
import type { DeliveryAttemptRecord, WebhookStore } from './webhook-store';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const CONFIG: WebhookConfig = {
  secret: SECRET,
  ownerUrl: undefined,
  events: 'final',
  allowPrivate: false,
  retryForS: 60,
  timeoutMs: 1000,
  pendingPerClient: 20,
  inFlightPerClient: 4,
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

/** A stand-in for the WebhookStore the processor uses: places in flight as told, records kept. */
class FakeStore {
  readonly records: DeliveryAttemptRecord[] = [];
  readonly calls: string[] = [];
  /** The answers of the next acquireInFlight calls (true once they run out). */
  places: boolean[] = [];

  acquireInFlight(
    client: string,
    jobId: string,
    _now: number,
    leaseMs: number,
    limit: number,
  ): Promise<boolean> {
    this.calls.push(`acquire ${client} ${jobId} ${leaseMs} ${limit}`);
    return Promise.resolve(this.places.shift() ?? true);
  }
  releaseInFlight(client: string, jobId: string): Promise<void> {
    this.calls.push(`release ${client} ${jobId}`);
    return Promise.resolve();
  }
  releasePending(client: string, jobId: string): Promise<void> {
    this.calls.push(`pending ${client} ${jobId}`);
    return Promise.resolve();
  }
  record(_taskId: string, record: DeliveryAttemptRecord): Promise<void> {
    this.records.push(record);
    return Promise.resolve();
  }
}

/** Runs `job` as Bull would: a RunAgain counts in attemptsMade; its delay is what WEBHOOK_BACKOFF says. */
async function run(
  attempts: WebhookAttempts,
  job: Job<DeliveryJob>,
): Promise<{ outcome: string } | { againInMs: number }> {
  try {
    return { outcome: await attempts.deliver(job) };
  } catch (error) {
    job.attemptsMade++;
    const strategy = WEBHOOK_QUEUE_SETTINGS.backoffStrategies?.[WEBHOOK_BACKOFF];
    return { againInMs: strategy?.(job.attemptsMade, error as Error) ?? -1 };
  }
}

void describe('webhook delivery runs: attempts, places in flight, held-back runs', () => {
  const now = 1_800_000_000_000;
  const clock = { now: () => now } as Clock;
  const setUp = (
    results: AttemptResult['outcome'][],
    timestamp = now,
  ): { store: FakeStore; sent: string[]; attempts: WebhookAttempts; job: Job<DeliveryJob> } => {
    const store = new FakeStore();
    const sent: string[] = [];
    const sender = {
      send: (url: string): Promise<AttemptResult> => {
        sent.push(url);
        const outcome = results.shift() ?? 'delivered';
        return Promise.resolve(
          outcome === 'failed'
            ? { outcome, status: 500, error: 'HTTP 500', durationMs: 3 }
            : { outcome, status: 200, durationMs: 3 },
        );
      },
      close: () => Promise.resolve(),
    } as unknown as WebhookSender;
    const attempts = new WebhookAttempts(
      { webhooks: CONFIG } as never,
      sender,
      store as unknown as WebhookStore,
      clock,
    );
    const data: DeliveryJob = {
      taskId: 't1',
      target: 'callback',
      url: 'https://hooks.example.com/k',
      id: 'msg_1',
      type: 'task.completed',
      body: '{}',
      client: '203.0.113.7',
      attempts: 3,
    };
    const job = {
      id: 't1.5.callback',
      data,
      attemptsMade: 0,
      timestamp,
      opts: deliveryJobOptions('t1.5.callback', 3, CONFIG.retryForS * 1000),
      update: (next: DeliveryJob): Promise<void> => {
        job.data = next;
        return Promise.resolve();
      },
    } as unknown as Job<DeliveryJob>;
    return { store, sent, attempts, job };
  };

  void it('a run without a place in flight sends and records nothing, and comes back in about HOLD_BACK_MS; the attempts after it count from 1', async () => {
    const { store, sent, attempts, job } = setUp(['failed', 'delivered']);
    store.places = [false, false];
    for (let i = 0; i < 2; i++) {
      const held = await run(attempts, job);
      assert.ok('againInMs' in held);
      assert.ok(
        held.againInMs >= HOLD_BACK_MS / 2 && held.againInMs <= (HOLD_BACK_MS * 3) / 2,
        String(held.againInMs),
      );
    }
    assert.deepEqual([sent.length, store.records.length, job.data.heldBack], [0, 0, 2]);
    // Its place: a failed attempt 1, retried after backoffMs(1) (not after Bull's third run's backoff).
    assert.deepEqual(await run(attempts, job), { againInMs: backoffMs(1) });
    assert.deepEqual(await run(attempts, job), { outcome: 'delivered' });
    assert.deepEqual(
      store.records.map((r) => [r.attempt, r.outcome]),
      [
        [1, 'retrying'],
        [2, 'delivered'],
      ],
    );
    const lease = CONFIG.timeoutMs + 5000;
    assert.deepEqual(store.calls, [
      `acquire 203.0.113.7 t1.5.callback ${lease} 4`,
      `acquire 203.0.113.7 t1.5.callback ${lease} 4`,
      `acquire 203.0.113.7 t1.5.callback ${lease} 4`,
      'release 203.0.113.7 t1.5.callback',
      `acquire 203.0.113.7 t1.5.callback ${lease} 4`,
      'release 203.0.113.7 t1.5.callback',
      'pending 203.0.113.7 t1.5.callback',
    ]);
    assert.ok(
      (job.opts.attempts ?? 0) > 3 + (CONFIG.retryForS * 1000) / HOLD_BACK_MS,
      "Bull's runs outnumber the attempts",
    );
  });

  void it("the last attempt is the data's third, however many runs were held back", async () => {
    const { store, attempts, job } = setUp(['failed', 'failed', 'failed']);
    store.places = [false, true, false, false, true, true];
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await run(attempts, job));
    assert.deepEqual(
      store.records.map((r) => [r.attempt, r.outcome]),
      [
        [1, 'retrying'],
        [2, 'retrying'],
        [3, 'failed'],
      ],
    );
    assert.deepEqual(outcomes[5], { outcome: 'failed' });
  });

  void it('held back past WEBHOOK_RETRY_FOR_S: the delivery ends, recorded dropped (attempt 0), its pending place given back', async () => {
    const { store, sent, attempts, job } = setUp([], now - CONFIG.retryForS * 1000);
    store.places = [false];
    assert.deepEqual(await run(attempts, job), { outcome: 'dropped' });
    assert.equal(sent.length, 0);
    assert.deepEqual(
      store.records.map((r) => [r.attempt, r.outcome, r.error]),
      [
        [
          0,
          'dropped',
          'not sent: 4 attempts of this client were in flight (WEBHOOK_IN_FLIGHT_PER_CLIENT) until WEBHOOK_RETRY_FOR_S ran out',
        ],
      ],
    );
    assert.deepEqual(store.calls.slice(1), ['pending 203.0.113.7 t1.5.callback']);
  });

  void it("the owner's deliveries, and a job queued before attempts were counted in its data, take no place", async () => {
    const { store, attempts, job } = setUp(['delivered']);
    job.data = { ...job.data, target: 'owner', client: undefined };
    assert.deepEqual(await run(attempts, job), { outcome: 'delivered' });
    const old = setUp(['delivered']);
    old.job.data = { ...old.job.data, attempts: undefined };
    assert.deepEqual(await run(old.attempts, old.job), { outcome: 'delivered' });
    assert.deepEqual([store.calls, old.store.calls], [[], ['pending 203.0.113.7 t1.5.callback']]);
  });

  void it('WEBHOOK_BACKOFF: the delay a RunAgain names; RETRY_BASE_MS after any other error', () => {
    const strategy = WEBHOOK_QUEUE_SETTINGS.backoffStrategies?.[WEBHOOK_BACKOFF];
    assert.equal(strategy?.(7, new RunAgain(1234, 'x')), 1234);
    assert.equal(strategy?.(7, new Error('redis away')), RETRY_BASE_MS);
    assert.equal(new RunAgain(1, 'x').stack, undefined, 'no stack kept in the job per held-back run');
  });
});
