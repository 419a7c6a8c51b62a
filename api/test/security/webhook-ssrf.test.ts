import assert from 'node:assert/strict';
import { type Server, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getJson, makerHeaders, postPicture, rememberTask, sample } from '../support/http-client';
import { sleep, waitFor } from '../support/env';
import { startWith, useSecurityApi } from './support';

const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const PNG = sample('typical_misc_lantern.png');
const PENDING_PER_CLIENT = 4;

async function generate(
  baseUrl: string,
  callbackUrl: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await postPicture(baseUrl, PNG, { callback_url: callbackUrl });
  return { status: response.status, body: rememberTask((await response.json()) as Record<string, unknown>) };
}

/**
 * Server-side request forgery through webhooks (docs/security.md, `webhook-ssrf`): a stranger
 * chooses a `callback_url` to make the api reach this machine, its LAN or the cloud metadata
 * service. With WEBHOOK_ALLOW_PRIVATE unset, literal non-public addresses are a 400 before any
 * slot; a name resolving to one is refused at connection time (the lookup judges and pins the
 * address) and recorded; nothing connects. Redirect hops and DNS answers injected per name:
 * api/test/webhooks/webhook-sender.test.ts.
 */
void describe('security: webhook SSRF (WEBHOOK_ALLOW_PRIVATE unset, no sidecar)', () => {
  // Counts every connection made to this machine's would-be receiver (TLS or not).
  let trap: Server;
  let connections = 0;
  const sockets: Socket[] = [];
  before(async () => {
    trap = createServer((socket) => {
      connections++;
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
  });
  const port = (): number => (trap.address() as AddressInfo).port;
  // `all`: the queued state is delivered at once (no sidecar here: tasks wait).
  const api = useSecurityApi('webhook-ssrf', {
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_EVENTS: 'all',
    WEBHOOK_PENDING_PER_CLIENT: String(PENDING_PER_CLIENT),
  });

  void it('attack: callback_url at loopback, private, link-local (cloud metadata), CGNAT, ULA, unspecified, IPv4-mapped and IPv4-compatible addresses, in any spelling -> 400 invalid_option, no slot', async () => {
    const targets = [
      `https://127.0.0.1:${port()}/`,
      'https://2130706433/',
      'https://0x7f.0.0.1/',
      'https://127.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/latest/meta-data/',
      // IPv4-compatible IPv6 (::/96), which ipaddr.js alone calls unicast.
      `https://[::7f00:1]:${port()}/`,
      'https://[::a9fe:a9fe]/latest/meta-data/',
      'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'https://10.0.0.1/',
      'https://192.168.1.1/',
      'https://172.16.0.1/',
      'https://100.64.0.1/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
      'https://0.0.0.0/',
    ];
    for (const target of targets) {
      const answer = await generate(api().url, target);
      assert.equal(answer.status, 400, target);
      assert.equal(answer.body['code'], 'invalid_option');
      assert.match(String(answer.body['error']), /^Invalid callback_url: a public address, not a /, target);
    }
    const health = (await getJson(`${api().url}/api/health`)).body;
    assert.equal((health['queue'] as Record<string, unknown>)['slots_held'], 0);
    assert.equal(connections, 0);
  });

  void it('attack: callback_url over http, with credentials, sent twice, or 3 KB long -> 400 naming the field', async () => {
    for (const target of [
      `http://example.com/`,
      'https://u:p@example.com/',
      `https://example.com/${'a'.repeat(3000)}`,
    ]) {
      const answer = await generate(api().url, target);
      assert.deepEqual([answer.status, answer.body['code']], [400, 'invalid_option'], target);
      assert.match(String(answer.body['error']), /^Invalid callback_url: /);
    }
    const form = new FormData();
    form.append('image', new Blob([PNG], { type: 'image/png' }), 'a.png');
    form.append('callback_url', 'https://example.com/a');
    form.append('callback_url', 'https://example.com/b');
    const twice = await fetch(`${api().url}/api/generate`, { method: 'POST', body: form });
    assert.equal(twice.status, 400);
    assert.equal(
      ((await twice.json()) as Record<string, unknown>)['error'],
      'Invalid callback_url: send it once',
    );
  });

  void it('attack: callback_url at a name that resolves to loopback (localhost) -> accepted, refused at connection time, recorded; nothing connects', async () => {
    const made = await generate(api().url, `https://localhost:${port()}/hook`);
    assert.equal(made.status, 202);
    const taskId = String(made.body['task_id']);
    const attempts = await waitFor(
      'the refused delivery',
      async () => {
        const { body } = await getJson<{ attempts: Record<string, unknown>[] }>(
          `${api().url}/api/tasks/${taskId}/webhooks`,
          { headers: makerHeaders(taskId) },
        );
        return body.attempts.length > 0 ? body.attempts : undefined;
      },
      20_000,
      200,
    );
    await sleep(1500);
    // The state it is in when its delivery is queued (a worker may have taken it already).
    assert.equal(attempts.length, 1, 'refused once, never retried');
    assert.ok(['task.queued', 'task.processing'].includes(String(attempts[0]['type'])));
    assert.equal(attempts[0]['outcome'], 'refused');
    // Neither the address nor its range is told: the api's DNS answers are no oracle for strangers.
    assert.equal(attempts[0]['error'], 'refused: localhost resolves to a non-public address');
    assert.equal(connections, 0, 'no connection reached the address');
  });

  void it("attack: read another's delivery log (its receiver's answers) with the id alone or a made-up token -> 403", async () => {
    const made = await generate(api().url, 'https://hooks.example.com/kiln');
    const taskId = String(made.body['task_id']);
    const tries: Record<string, string>[] = [{}, { 'X-Task-Token': 'A'.repeat(43) }];
    for (const headers of tries) {
      const answer = await getJson(`${api().url}/api/tasks/${taskId}/webhooks`, { headers });
      assert.deepEqual([answer.status, answer.body['code']], [403, 'task_token_required']);
    }
  });

  void it(`attack: many tasks whose callback never answers (a name that does not resolve: every attempt fails, retries pile up) -> at most WEBHOOK_PENDING_PER_CLIENT (${PENDING_PER_CLIENT}) unfinished deliveries for the client, the rest dropped and recorded`, async () => {
    const made: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const response = await postPicture(api().url, PNG, {
        callback_url: 'https://hooks.invalid/kiln',
        seed: String(seed),
      });
      assert.equal(response.status, 202);
      made.push(String(rememberTask((await response.json()) as Record<string, unknown>)['task_id']));
    }
    const logs = await waitFor(
      'every task delivered or dropped',
      async () => {
        const all = await Promise.all(
          made.map(async (taskId) => {
            const { body } = await getJson<{ attempts: Record<string, unknown>[] }>(
              `${api().url}/api/tasks/${taskId}/webhooks`,
              { headers: makerHeaders(taskId) },
            );
            return body.attempts;
          }),
        );
        return all.every((attempts) => attempts.length > 0) ? all : undefined;
      },
      20_000,
      250,
    );
    const attempts = logs.flat();
    const dropped = attempts.filter((a) => a['outcome'] === 'dropped');
    const sent = new Set(attempts.filter((a) => a['outcome'] !== 'dropped').map((a) => a['id']));
    assert.ok(dropped.length > 0, 'some deliveries were dropped');
    assert.ok(sent.size <= PENDING_PER_CLIENT, `${sent.size} deliveries were sent`);
    assert.match(String(dropped[0]['error']), /WEBHOOK_PENDING_PER_CLIENT/);
    assert.ok(attempts.filter((a) => a['outcome'] !== 'dropped').every((a) => a['outcome'] === 'retrying'));
  });

  void it('attack: an owner WEBHOOK_URL at the metadata address, over http, or without a secret -> the start refuses, naming it; a bad secret is never printed', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { WEBHOOK_SECRET: SECRET, WEBHOOK_URL: 'https://169.254.169.254/latest/' },
        /WEBHOOK_URL must be a public address/,
      ],
      [
        { WEBHOOK_SECRET: SECRET, WEBHOOK_URL: 'http://hooks.example.com/' },
        /WEBHOOK_URL must be an https URL/,
      ],
      [{ WEBHOOK_URL: 'https://hooks.example.com/' }, /WEBHOOK_URL needs WEBHOOK_SECRET/],
      [{ WEBHOOK_SECRET: 'whsec_hunter2hunter2' }, /WEBHOOK_SECRET must be whsec_/],
    ];
    for (const [env, message] of cases) {
      const started = startWith(env);
      assert.equal(started.status, 1, JSON.stringify(env));
      assert.match(started.stderr, message);
      assert.ok(!`${started.stderr}${started.stdout}`.includes('hunter2'), 'the secret is not printed');
    }
  });
});
