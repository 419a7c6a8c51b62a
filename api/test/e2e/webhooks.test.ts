/**
 * End to end: signed webhooks through the built api (simulate engine) to receivers this test runs
 * on loopback. With WEBHOOK_ALLOW_PRIVATE=true (the only way a loopback receiver is reachable):
 * every status of a task (WEBHOOK_EVENTS=all) reaches both the owner's WEBHOOK_URL and the
 * request's callback_url, each delivery verified by standardwebhooks' own verifier, the completed
 * one carrying the snapshot GET /api/tasks/{id} answers; a receiver that fails twice gets the
 * event a third time and the maker's delivery log says so; a receiver that never answers is tried
 * within WEBHOOK_RETRY_FOR_S only; a bad callback_url is a 400 naming the field, before any queue
 * slot. With private addresses not allowed (a second api): a literal loopback callback_url is a
 * 400, and a name that resolves to loopback (`localhost`) is refused at delivery, recorded as the
 * delivery's outcome, and no request reaches the receiver.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { useApi } from '../support/api-process';
import { sleep, waitFor } from '../support/env';
import {
  followToEnd,
  getJson,
  makerHeaders,
  postPicture,
  rememberTask,
  sample,
} from '../support/http-client';

const SECRET = `whsec_${Buffer.alloc(32, 11).toString('base64')}`;
const PNG = sample('typical_misc_lantern.png');
/** WEBHOOK_RETRY_FOR_S and WEBHOOK_TIMEOUT_S of the first api: attempts at 0, 2 and 6 s (webhook-queue.ts). */
const RETRY_FOR_S = 8;
const TIMEOUT_S = 1;

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

interface Attempt {
  id: string;
  type: string;
  attempt: number;
  outcome: string;
  status?: number;
  error?: string;
}

/**
 * A loopback receiver: /fail-twice/* answers 500 to the first two requests of each message id;
 * /silent/* never answers (openAt: how many of a folder's requests are open now, until the sender
 * gives up and closes them; mostOpenAt: the most ever open at once).
 */
class Receiver {
  readonly deliveries: Delivery[] = [];
  private readonly server: Server;
  private readonly hanging: ServerResponse[] = [];
  private readonly seen = new Map<string, number>();
  private readonly open = new Map<string, number>();
  private readonly mostOpen = new Map<string, number>();
  port = 0;

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const headers = req.headers as Record<string, string>;
        this.deliveries.push({ path, headers, body, at: Date.now() });
        const id = headers['webhook-id'] ?? '';
        const count = (this.seen.get(`${path} ${id}`) ?? 0) + 1;
        this.seen.set(`${path} ${id}`, count);
        if (path.startsWith('/silent/')) {
          const folder = path.slice(0, path.lastIndexOf('/'));
          const open = (this.open.get(folder) ?? 0) + 1;
          this.open.set(folder, open);
          this.mostOpen.set(folder, Math.max(open, this.mostOpen.get(folder) ?? 0));
          res.on('close', () => this.open.set(folder, (this.open.get(folder) ?? 1) - 1));
          this.hanging.push(res);
        } else if (path.startsWith('/fail-twice/') && count <= 2) res.writeHead(500).end();
        else res.writeHead(200).end('ok');
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  openAt(folder: string): number {
    return this.open.get(folder) ?? 0;
  }

  mostOpenAt(folder: string): number {
    return this.mostOpen.get(folder) ?? 0;
  }

  at(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The delivery's body, verified by the library (throws when the signature does not match). */
function verified(delivery: Delivery): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(SECRET).verify(delivery.body, delivery.headers) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

async function generate(
  baseUrl: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await postPicture(baseUrl, PNG, fields);
  return { status: response.status, body: rememberTask((await response.json()) as Record<string, unknown>) };
}

/** POST /api/generate as client `client` (CF-Connecting-IP, which the api trusts from loopback by default). */
async function generateAs(
  baseUrl: string,
  client: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('image', new Blob([PNG], { type: 'image/png' }), 'lantern.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const response = await fetch(`${baseUrl}/api/generate`, {
    method: 'POST',
    body: form,
    headers: { 'CF-Connecting-IP': client },
  });
  return { status: response.status, body: rememberTask((await response.json()) as Record<string, unknown>) };
}

async function attemptsOf(baseUrl: string, taskId: string): Promise<Attempt[]> {
  const { status, body } = await getJson<{ attempts: Attempt[] }>(`${baseUrl}/api/tasks/${taskId}/webhooks`, {
    headers: makerHeaders(taskId),
  });
  assert.equal(status, 200);
  return body.attempts;
}

void describe('webhooks end to end, private receivers allowed (simulate engine)', () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  const api = useApi('e2e-webhooks', {
    env: {
      SIMULATE_SECONDS: '0.5',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_EVENTS: 'all',
      WEBHOOK_RETRY_FOR_S: String(RETRY_FOR_S),
      WEBHOOK_TIMEOUT_S: String(TIMEOUT_S),
      // Read when the api starts (after the receiver's `before`): its port is known then.
      get WEBHOOK_URL() {
        return receiver.url('/owner');
      },
    },
  });

  void it("delivers each status, signed, to the owner and the callback; the completed one is the task's snapshot", async () => {
    const made = await generate(api.url, { callback_url: receiver.url('/ok/1') });
    assert.equal(made.status, 202);
    const taskId = String(made.body['task_id']);
    const events = await followToEnd(api.url, taskId);
    assert.equal(events[events.length - 1].event, 'completed');
    const snapshot = (await getJson(`${api.url}/api/tasks/${taskId}`)).body;

    await waitFor('the completed delivery to both receivers', () =>
      Promise.resolve(
        ['/ok/1', '/owner'].every((path) =>
          receiver
            .at(path)
            .some((d) => verified(d).type === 'task.completed' && verified(d).data['task_id'] === taskId),
        )
          ? true
          : undefined,
      ),
    );
    await sleep(500);
    for (const path of ['/ok/1', '/owner']) {
      const mine = receiver.at(path).filter((d) => verified(d).data['task_id'] === taskId);
      const types = mine.map((d) => verified(d).type);
      assert.equal(
        new Set(types).size,
        types.length,
        `one delivery per status at ${path}: ${types.join(', ')}`,
      );
      assert.ok(types.includes('task.completed'));
      assert.ok(types.every((type) => ['task.queued', 'task.processing', 'task.completed'].includes(type)));
      const completed = mine.find((d) => verified(d).type === 'task.completed') as Delivery;
      const payload = verified(completed);
      assert.deepEqual(Object.keys(payload), ['type', 'timestamp', 'data']);
      assert.deepEqual(payload.data, snapshot, 'the same JSON GET /api/tasks/{id} answers');
      assert.match(String(payload.data['model_url']), /^http:\/\/127\.0\.0\.1:\d+\/static\/[0-9a-f-]+\.glb$/);
      assert.equal(payload.timestamp, snapshot['updated_at']);
      assert.match(completed.headers['webhook-id'], /^msg_[0-9a-f-]{36}$/);
      assert.equal(completed.headers['content-type'], 'application/json');
    }

    // The maker's log: the callback's deliveries only, each delivered at its first attempt.
    const attempts = await attemptsOf(api.url, taskId);
    assert.ok(attempts.length >= 1);
    assert.ok(attempts.every((a) => a.outcome === 'delivered' && a.attempt === 1 && a.status === 200));
    assert.ok(attempts.some((a) => a.type === 'task.completed'));
    assert.ok(!JSON.stringify(attempts).includes('/owner'), "the owner's receiver is not shown");
    // Only the maker reads it; an unknown task is 404.
    const stranger = await getJson(`${api.url}/api/tasks/${taskId}/webhooks`);
    assert.deepEqual([stranger.status, stranger.body['code']], [403, 'task_token_required']);
    const wrong = await getJson(`${api.url}/api/tasks/${taskId}/webhooks`, {
      headers: { 'X-Task-Token': 'x'.repeat(43) },
    });
    assert.equal(wrong.status, 403);
    const unknown = await getJson(`${api.url}/api/tasks/00000000-0000-4000-8000-000000000000/webhooks`);
    assert.equal(unknown.status, 404);
  });

  void it('a receiver that fails twice gets the event again each time until it answers 2xx; the log says so', async () => {
    const path = '/fail-twice/2';
    const made = await generate(api.url, { callback_url: receiver.url(path) });
    const taskId = String(made.body['task_id']);
    const completedAt = (): Delivery[] =>
      receiver.at(path).filter((d) => verified(d).type === 'task.completed');
    await waitFor(
      'three attempts of the completed event',
      () => Promise.resolve(completedAt().length >= 3 ? true : undefined),
      30_000,
    );
    await sleep(3000);
    const tries = completedAt();
    assert.equal(tries.length, 3, 'no attempt after the one that succeeded');
    assert.equal(
      new Set(tries.map((d) => d.headers['webhook-id'])).size,
      1,
      'the same message id on every attempt',
    );
    assert.deepEqual(new Set(tries.map((d) => d.body)).size, 1, 'the same body on every attempt');
    const log = (await attemptsOf(api.url, taskId)).filter((a) => a.type === 'task.completed');
    assert.deepEqual(
      log.map((a) => [a.attempt, a.outcome, a.status]),
      [
        [1, 'retrying', 500],
        [2, 'retrying', 500],
        [3, 'delivered', 200],
      ],
    );
    assert.equal(log[0].error, 'HTTP 500');
  });

  void it('a receiver that never answers is tried within WEBHOOK_RETRY_FOR_S, then given up', async () => {
    const path = '/silent/3';
    const made = await generate(api.url, { callback_url: receiver.url(path) });
    const taskId = String(made.body['task_id']);
    const completedAt = (): Delivery[] =>
      receiver.at(path).filter((d) => verified(d).type === 'task.completed');
    await waitFor(
      'the completed event given up',
      async () => {
        const log = (await attemptsOf(api.url, taskId)).filter((a) => a.type === 'task.completed');
        return log.some((a) => a.outcome === 'failed') ? log : undefined;
      },
      40_000,
      250,
    );
    await sleep(4000);
    const tries = completedAt();
    assert.equal(tries.length, 3, `3 attempts fit ${RETRY_FOR_S} s with a ${TIMEOUT_S} s timeout`);
    const span = (tries[tries.length - 1].at - tries[0].at) / 1000;
    assert.ok(span <= RETRY_FOR_S, `the last attempt started ${span} s after the first`);
    const log = (await attemptsOf(api.url, taskId)).filter((a) => a.type === 'task.completed');
    assert.deepEqual(
      log.map((a) => [a.attempt, a.outcome]),
      [
        [1, 'retrying'],
        [2, 'retrying'],
        [3, 'failed'],
      ],
    );
    assert.ok(
      log.every((a) => a.error === `no answer within ${TIMEOUT_S * 1000} ms` && a.status === undefined),
    );
  });

  void it('a bad callback_url answers 400 invalid_option naming the field, before any queue slot', async () => {
    const cases: [string, string][] = [
      ['not a url', 'Invalid callback_url: an absolute https URL'],
      ['ftp://127.0.0.1/x', 'Invalid callback_url: an http or https URL'],
      [
        `http://user:pw@127.0.0.1:${receiver.port}/x`,
        'Invalid callback_url: no user name or password in the URL',
      ],
      [`https://hooks.example.com/${'a'.repeat(2048)}`, 'Invalid callback_url: at most 2048 characters'],
    ];
    for (const [callback, error] of cases) {
      const answer = await generate(api.url, { callback_url: callback });
      assert.deepEqual(
        [answer.status, answer.body['error'], answer.body['code']],
        [400, error, 'invalid_option'],
      );
    }
    const health = (await getJson(`${api.url}/api/health`)).body;
    assert.equal((health['queue'] as Record<string, unknown>)['slots_held'], 0);
  });
});

void describe('webhooks end to end, private receivers not allowed', () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  const api = useApi('e2e-webhooks-public', {
    env: { SIMULATE_SECONDS: '0.2', WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_FOR_S: '30' },
  });

  void it('a literal loopback, private or metadata callback_url, or plain http, is a 400', async () => {
    const cases: [string, RegExp][] = [
      [
        `https://127.0.0.1:${receiver.port}/x`,
        /^Invalid callback_url: a public address, not a loopback address 127\.0\.0\.1$/,
      ],
      ['https://169.254.169.254/latest/meta-data/', /not a link-local address 169\.254\.169\.254$/],
      ['https://[::ffff:10.0.0.1]/', /not a private address 10\.0\.0\.1$/],
      ['https://100.64.0.1/', /not a carrier-grade NAT \(100\.64\.0\.0\/10\) address/],
      [receiver.url('/x'), /^Invalid callback_url: an https URL$/],
    ];
    for (const [callback, error] of cases) {
      const answer = await generate(api.url, { callback_url: callback });
      assert.equal(answer.status, 400, callback);
      assert.match(String(answer.body['error']), error);
      assert.equal(answer.body['code'], 'invalid_option');
    }
  });

  void it('a name that resolves to loopback is refused at delivery, recorded, never retried, and nothing reaches the receiver', async () => {
    const made = await generate(api.url, { callback_url: `https://localhost:${receiver.port}/hook` });
    assert.equal(made.status, 202);
    const taskId = String(made.body['task_id']);
    const log = await waitFor(
      'the refused delivery',
      async () => {
        const attempts = await attemptsOf(api.url, taskId);
        return attempts.length > 0 ? attempts : undefined;
      },
      30_000,
      200,
    );
    await sleep(2500);
    const after = await attemptsOf(api.url, taskId);
    assert.deepEqual(
      after.map((a) => [a.type, a.attempt, a.outcome]),
      [['task.completed', 1, 'refused']],
      'one attempt, refused, not retried (WEBHOOK_EVENTS=final by default)',
    );
    assert.equal(
      log[0].error,
      'refused: localhost resolves to a non-public address',
      'the address is not told',
    );
    assert.equal(receiver.deliveries.length, 0);
  });
});

void describe("webhooks end to end: strangers' slow receivers and the owner's", () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  const api = useApi('e2e-webhooks-owner', {
    env: {
      SIMULATE_SECONDS: '0.2',
      MAX_QUEUE: '20',
      // Each upload after the first is a repeat, completed at birth.
      INSTANT_REPEATS: 'on',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // Each held attempt keeps its worker as long as a slow receiver may (the default is 10 s).
      WEBHOOK_TIMEOUT_S: '60',
      // One client (this test) may hold every callback worker here.
      WEBHOOK_PENDING_PER_CLIENT: '0',
      WEBHOOK_IN_FLIGHT_PER_CLIENT: '0',
      get WEBHOOK_URL() {
        return receiver.url('/owner');
      },
    },
  });

  /** The callback workers of one process (webhook-delivery.processor.ts CALLBACK_CONCURRENCY). */
  const WORKERS = 64;

  void it("callback receivers that hold every callback worker do not delay the owner's deliveries", async () => {
    // A trial: a stranger's callbacks to a receiver that answers after 9.5 s held the one shared
    // queue's 8 workers, and the owner's WEBHOOK_URL got its delivery 200 s late.
    // More tasks than callback workers (CALLBACK_CONCURRENCY, 64), each delivering its completion
    // to a receiver that never answers.
    for (let i = 0; i < WORKERS + 2; i++) {
      const repeat = await generate(api.url, { callback_url: receiver.url(`/silent/${i}`) });
      assert.equal(repeat.status, 202, JSON.stringify(repeat.body));
    }
    await waitFor('every callback worker held by a silent receiver', () =>
      Promise.resolve(
        receiver.deliveries.filter((d) => d.path.startsWith('/silent/')).length >= WORKERS ? true : undefined,
      ),
    );
    const later = await generate(api.url, {});
    assert.equal(later.status, 202);
    const laterId = String(later.body['task_id']);
    await waitFor(
      "the owner's delivery of the task made after them",
      () =>
        Promise.resolve(
          receiver.at('/owner').some((d) => verified(d).data['task_id'] === laterId) ? true : undefined,
        ),
      20_000,
    );
    const silent = receiver.deliveries.filter((d) => d.path.startsWith('/silent/'));
    assert.equal(
      silent.length,
      WORKERS,
      'the callbacks still hold their workers: none answered, none more began',
    );
  });
});

void describe("webhooks end to end: one stranger's silent receiver and another stranger's callback", () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  /** Each held attempt ends after this long, then is retried (1 s backoff) within the minute. */
  const TIMEOUT = 5;
  const A = '203.0.113.10';
  const B = '198.51.100.20';
  /** The api's default WEBHOOK_IN_FLIGHT_PER_CLIENT. */
  const IN_FLIGHT = 4;
  const api = useApi('e2e-webhooks-fair', {
    env: {
      SIMULATE_SECONDS: '0.2',
      // Each upload after the first is a repeat, completed at birth: A's twenty at once.
      INSTANT_REPEATS: 'on',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_S: String(TIMEOUT),
      WEBHOOK_RETRY_FOR_S: '60',
    },
  });

  void it("a stranger whose receiver never answers holds WEBHOOK_IN_FLIGHT_PER_CLIENT attempts at most; another stranger's callback goes at once; the held-back deliveries record nothing until sent", async () => {
    // A trial: one stranger's 20 pending callbacks to a receiver that answers after 9.5 s held all
    // 8 callback workers, and another stranger's callback came 200 s late.
    const mine: string[] = [];
    for (let i = 0; i < 20; i++) {
      const made = await generateAs(api.url, A, { callback_url: receiver.url(`/silent/a/${i}`) });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      mine.push(String(made.body['task_id']));
    }
    await waitFor('A holding attempts', () =>
      Promise.resolve(receiver.openAt('/silent/a') >= IN_FLIGHT ? true : undefined),
    );
    // Long enough for more workers to take A's deliveries, were they free to.
    await sleep(1500);
    const made = await generateAs(api.url, B, { callback_url: receiver.url('/ok/b') });
    assert.equal(made.status, 202);
    const taskId = String(made.body['task_id']);
    const delivered = await waitFor(
      "B's completed delivery",
      () =>
        Promise.resolve(
          receiver
            .at('/ok/b')
            .find((d) => verified(d).type === 'task.completed' && verified(d).data['task_id'] === taskId),
        ),
      60_000,
    );
    // From the task's completion (the payload's timestamp: its updated_at) to the delivery.
    const lateMs = delivered.at - Date.parse(verified(delivered).timestamp);
    console.log(
      `B's callback came ${lateMs} ms after its task completed; A had ${receiver.openAt('/silent/a')} open`,
    );
    assert.ok(lateMs < 3000, `B's callback came ${lateMs} ms after its task completed, behind A's`);
    assert.equal(receiver.mostOpenAt('/silent/a'), IN_FLIGHT, "A's attempts in flight at once");
    const logsOfA = async (): Promise<Attempt[][]> =>
      await Promise.all(mine.map((id) => attemptsOf(api.url, id)));
    assert.deepEqual((await logsOfA()).flat(), [], 'no attempt of A ended yet, and a held-back one is none');

    // A's first attempts time out (each then retried after 1 s); the held-back deliveries are sent
    // as places come free, each as its attempt 1: waiting its turn counted no attempt.
    const logs = await waitFor(
      "two rounds of A's attempts ended",
      async () => {
        const now = await logsOfA();
        return now.flat().length >= 2 * IN_FLIGHT ? now : undefined;
      },
      4 * TIMEOUT * 1000,
      250,
    );
    assert.equal(receiver.mostOpenAt('/silent/a'), IN_FLIGHT, 'still at most its share at once');
    assert.ok(
      logs.filter((log) => log.length > 0).length > IN_FLIGHT,
      'deliveries held back at first were sent when places came free',
    );
    for (const log of logs) {
      assert.deepEqual(
        log.map((a) => [a.attempt, a.outcome, a.error]),
        log.map((_, i) => [i + 1, 'retrying', `no answer within ${TIMEOUT * 1000} ms`]),
      );
    }
    // One record per attempt that ended (the receiver saw it closed), none for a held-back run.
    await waitFor(
      'as many records as ended attempts',
      async () => {
        const closed =
          receiver.deliveries.filter((d) => d.path.startsWith('/silent/a/')).length -
          receiver.openAt('/silent/a');
        return (await logsOfA()).flat().length === closed ? true : undefined;
      },
      5000,
    );
  });
});
