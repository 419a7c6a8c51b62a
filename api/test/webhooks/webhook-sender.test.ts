/**
 * The webhook sender against real https receivers this test runs (a self-signed certificate that
 * only the sender trusts): a signed delivery the standardwebhooks verifier accepts, a receiver's
 * failure and a silent receiver bounded by the attempt's timeout, and the SSRF refusals with
 * private addresses not allowed: a literal loopback, private or metadata address, a name that
 * resolves to one (`localhost`, through the system resolver), and each of those reached through a
 * redirect from an allowed receiver. "Public" here is one loopback alias (127.0.0.9) that the
 * test's address policy lets through in place of the internet; every other address is judged by
 * the real policy, and literal URLs always are.
 */
import assert from 'node:assert/strict';
import { type LookupAddress, lookup } from 'node:dns';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { forbiddenAddressReason } from '../../src/outbound/outbound-url-policy';
import type { Resolver } from '../../src/webhooks/guarded-lookup';
import { WebhookSender } from '../../src/webhooks/webhook-sender';
import { type TestCertificate, selfSignedCertificate } from '../support/tls';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
/** The loopback alias standing in for a public receiver. */
const PUBLIC_STAND_IN = '127.0.0.9';
/** receiver.test: the "public" receiver; inside.test: a name whose DNS answer is a private address. */
const NAMES: Record<string, LookupAddress[]> = {
  'receiver.test': [{ address: PUBLIC_STAND_IN, family: 4 }],
  'inside.test': [{ address: '10.20.30.40', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
};
const resolver: Resolver = (hostname, options, callback) => {
  const known = NAMES[hostname];
  if (known) callback(null, known);
  else lookup(hostname, options, callback);
};
const policy = (address: string): string | undefined =>
  address === PUBLIC_STAND_IN ? undefined : forbiddenAddressReason(address);

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

void describe('webhook sender (real https receivers)', () => {
  let cert: TestCertificate;
  let server: Server;
  let port = 0;
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  let sender: WebhookSender;

  const at = (host: string, path: string): string => `https://${host}:${port}${path}`;

  before(async () => {
    cert = selfSignedCertificate(Object.keys(NAMES));
    server = createServer({ key: cert.key, cert: cert.cert }, (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({ path, headers: req.headers as Record<string, string>, body });
        const redirect = /^\/redirect\/(\d{3})\/(.*)$/.exec(path);
        if (redirect) {
          res.writeHead(Number(redirect[1]), { location: decodeURIComponent(redirect[2]) }).end();
        } else if (path === '/fail') res.writeHead(500).end('no');
        else if (path === '/slow') hanging.push(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, PUBLIC_STAND_IN, resolve));
    port = (server.address() as AddressInfo).port;
    sender = new WebhookSender({
      secret: SECRET,
      allowPrivate: false,
      timeoutMs: 800,
      resolver,
      addressPolicy: policy,
      ca: cert.cert,
    });
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    await sender.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    cert.remove();
  });

  const send = (url: string, id = 'msg_test', body = '{"type":"task.completed","data":{}}') =>
    sender.send(url, { id, body });

  void it('delivers a signed POST that the library verifier accepts (same id, fresh timestamp)', async () => {
    received.length = 0;
    const body = JSON.stringify({
      type: 'task.completed',
      timestamp: '2026-12-05T20:00:00.000Z',
      data: { a: 1 },
    });
    const result = await send(at('receiver.test', '/ok'), 'msg_abc', body);
    assert.equal(result.outcome, 'delivered');
    assert.equal(result.status, 204);
    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['webhook-id'], 'msg_abc');
    assert.ok(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000) < 10);
    assert.deepEqual(new Webhook(SECRET).verify(request.body, request.headers), JSON.parse(body));
    assert.throws(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 4).toString('base64')}`).verify(request.body, request.headers),
    );
  });

  void it('follows a redirect to an allowed receiver, re-posting the same signed body', async () => {
    received.length = 0;
    const target = encodeURIComponent(at('receiver.test', '/ok'));
    const result = await send(at('receiver.test', `/redirect/308/${target}`));
    assert.equal(result.outcome, 'delivered');
    assert.deepEqual(
      received.map((r) => r.path),
      [`/redirect/308/${target}`, '/ok'],
    );
    assert.equal(received[1].body, received[0].body);
    assert.ok(new Webhook(SECRET).verify(received[1].body, received[1].headers));
  });

  void it('a receiver error fails the attempt with its status; a silent receiver is cut at the timeout', async () => {
    const failed = await send(at('receiver.test', '/fail'));
    assert.deepEqual([failed.outcome, failed.status, failed.error], ['failed', 500, 'HTTP 500']);
    const started = Date.now();
    const silent = await send(at('receiver.test', '/slow'));
    const took = Date.now() - started;
    assert.equal(silent.outcome, 'failed');
    assert.equal(silent.error, 'no answer within 800 ms');
    assert.ok(took >= 700 && took < 5000, `cut after ${took} ms`);
  });

  void it('every attempt gets its whole timeout, also on a connection an earlier attempt left open', async () => {
    // undici's own headers timeout runs on a coarse shared tick and cut reused connections ~150 ms early.
    const cuts: number[] = [];
    for (let round = 0; round < 4; round++) {
      assert.equal((await send(at('receiver.test', '/ok'))).outcome, 'delivered');
      const started = Date.now();
      const silent = await send(at('receiver.test', '/slow'));
      cuts.push(Date.now() - started);
      assert.equal(silent.error, 'no answer within 800 ms');
    }
    assert.ok(
      cuts.every((took) => took >= 780 && took < 2000),
      `cut after ${cuts.join(', ')} ms`,
    );
  });

  void it('refuses loopback, private and metadata addresses, literal or behind a name, before connecting', async () => {
    received.length = 0;
    const refused: [string, RegExp][] = [
      [at('127.0.0.1', '/ok'), /must be a public address, not a loopback address 127\.0\.0\.1/],
      [at(PUBLIC_STAND_IN, '/ok'), /must be a public address, not a loopback address/],
      [at('[::ffff:127.0.0.9]', '/ok'), /not a loopback address/],
      ['https://169.254.169.254/latest/meta-data/', /not a link-local address 169\.254\.169\.254/],
      ['https://10.0.0.1/hook', /not a private address 10\.0\.0\.1/],
      [at('localhost', '/ok'), /^refused: localhost resolves to a non-public address \(loopback address/],
      [
        at('inside.test', '/ok'),
        /^refused: inside\.test resolves to a non-public address \(private address 10\.20\.30\.40\)$/,
      ],
      [
        at('metadata.test', '/ok'),
        /resolves to a non-public address \(link-local address 169\.254\.169\.254\)$/,
      ],
      [`http://receiver.test:${port}/ok`, /must be an https URL/],
    ];
    for (const [url, reason] of refused) {
      const result = await send(url);
      assert.equal(result.outcome, 'refused', url);
      // What the maker is shown, and in brackets what only the server's log says (a name's address).
      const said = `${result.error ?? ''}${result.detail !== undefined ? ` (${result.detail})` : ''}`;
      assert.match(said, reason, url);
    }
    assert.equal(received.length, 0, 'no request reached any receiver');
  });

  void it('refuses each forbidden target reached through a redirect from an allowed receiver', async () => {
    const targets: [string, RegExp][] = [
      [at('127.0.0.1', '/ok'), /not a loopback address/],
      ['https://169.254.169.254/latest/meta-data/', /not a link-local address/],
      ['https://192.168.1.1/', /not a private address/],
      [at('localhost', '/ok'), /^refused: localhost resolves to a non-public address$/],
      [at('metadata.test', '/ok'), /^refused: metadata\.test resolves to a non-public address$/],
      [`http://receiver.test:${port}/ok`, /must be an https URL/],
    ];
    for (const [target, reason] of targets) {
      for (const status of [302, 307]) {
        received.length = 0;
        const first = `/redirect/${status}/${encodeURIComponent(target)}`;
        const result = await send(at('receiver.test', first));
        assert.equal(result.outcome, 'refused', `${status} to ${target}`);
        assert.match(result.error ?? '', reason, target);
        assert.deepEqual(
          received.map((r) => r.path),
          [first],
          'only the allowed receiver was reached',
        );
      }
    }
  });

  void it('stops after 3 redirects', async () => {
    let url = at('receiver.test', '/ok');
    for (let i = 0; i < 4; i++) url = at('receiver.test', `/redirect/307/${encodeURIComponent(url)}`);
    const result = await send(url);
    assert.deepEqual([result.outcome, result.error], ['failed', 'too many redirects']);
  });
});
