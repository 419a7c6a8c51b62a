import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { sleep } from '../support/env';
import { postPicture, useSecurityApi } from './support';

/** What a raw connection received before the server closed it, and whether it was closed by `limitMs`. */
interface Dripped {
  closed: boolean;
  received: string;
}

/**
 * Opens a TCP connection to the api, sends `head`, then `drip` every `everyMs` until the server
 * closes the connection or `limitMs` passes (a generous bound, far above the settings under test:
 * it separates "cut" from "held for Node's 60 s / 300 s", and measures nothing).
 */
function drip(
  port: number,
  head: string,
  drip: string,
  everyMs: number,
  limitMs: number,
  localAddress?: string,
): Promise<Dripped> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', localAddress });
    let received = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ closed, received });
    };
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip);
    }, everyMs);
    const limit = setTimeout(() => finish(false), limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(head);
  });
}

const TIMEOUT_BODY = { success: false, error: 'Request timeout', code: 'request_timeout' };

/** The JSON body of a raw HTTP answer. */
function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

/**
 * Slow requests (slowloris; docs/design.md, HTTP contract): HEADERS_TIMEOUT_S=1 and
 * REQUEST_TIMEOUT_S=3 make Node's bounds visible within a test (the defaults, 20 s and 120 s, are
 * the same code). Event streams and long answers must outlive both: only the request is bounded.
 */
void describe('security: slow requests (HEADERS_TIMEOUT_S=1, REQUEST_TIMEOUT_S=3, SSE_HEARTBEAT_S=0.5)', () => {
  const api = useSecurityApi('slow', {
    HEADERS_TIMEOUT_S: '1',
    REQUEST_TIMEOUT_S: '3',
    SSE_HEARTBEAT_S: '0.5',
  });

  void it('attack: headers dripped a line at a time -> 408 request_timeout as JSON, connection closed (not held for 60 s)', async () => {
    const result = await drip(
      api().port,
      'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      'X-Pad: a\r\n',
      200,
      20_000,
    );
    assert.ok(result.closed, `still open after 20 s; received: ${result.received}`);
    assert.match(result.received, /^HTTP\/1\.1 408 /);
    assert.deepEqual(bodyOf(result.received), TIMEOUT_BODY);
  });

  void it('attack: a picture upload whose body drips 1 KB at a time -> 408 request_timeout, connection closed (not held for 300 s)', async () => {
    const boundary = 'kiln3dslowloris';
    const head =
      'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 5000000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n` +
      'Content-Type: image/png\r\n\r\n';
    const result = await drip(api().port, head, 'x'.repeat(1024), 200, 20_000);
    assert.ok(result.closed, `still open after 20 s; received: ${result.received}`);
    assert.match(result.received, /^HTTP\/1\.1 408 /);
    assert.deepEqual(bodyOf(result.received), TIMEOUT_BODY);
  });

  void it('an upload the client abandons midway is logged as the client leaving, not as its bad request', async () => {
    const boundary = 'kiln3dabandoned';
    const socket = connect({ port: api().port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 2000000\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n` +
        'Content-Type: image/png\r\n\r\n' +
        'x'.repeat(50_000),
    );
    await sleep(300);
    socket.destroy();
    const logged =
      /POST \/api\/generate: the client closed the connection before the answer \(Request aborted\)/;
    for (const started = Date.now(); !logged.test(api().output()); await sleep(100))
      assert.ok(Date.now() - started < 10_000, `not logged: ${api().output().slice(-2000)}`);
    assert.doesNotMatch(api().output(), /POST \/api\/generate -> 400/);
  });

  void it('an event stream outlives both timeouts: heartbeats keep coming after REQUEST_TIMEOUT_S', async () => {
    const made = await postPicture(api().url);
    assert.equal(made.status, 202, made.body);
    const id = (JSON.parse(made.body) as { task_id: string }).task_id;
    const result = await drip(
      api().port,
      `GET /api/status/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
      '',
      1000,
      5000,
    );
    assert.equal(result.closed, false, `the stream was cut: ${result.received}`);
    assert.match(result.received, /^HTTP\/1\.1 200 /);
    // 5 s at one heartbeat per 0.5 s: well over REQUEST_TIMEOUT_S's worth of them.
    const heartbeats = result.received.match(/: heartbeat /g) ?? [];
    assert.ok(heartbeats.length >= 6, `${heartbeats.length} heartbeats`);
  });
});

/**
 * MAX_CONNECTIONS=3: beyond it Node closes each new socket at once, before reading anything
 * (docs/design.md: no answer is sent). Three held event streams use the three connections.
 */
void describe('security: connection floods (MAX_CONNECTIONS=3)', () => {
  const api = useSecurityApi('connections', { MAX_CONNECTIONS: '3', SSE_HEARTBEAT_S: '0.5' });
  const held: Socket[] = [];
  after(() => held.forEach((socket) => socket.destroy()));

  void it('attack: connections held open beyond MAX_CONNECTIONS -> the next one is closed at once, unanswered; one closed frees a place', async () => {
    const made = await postPicture(api().url, { Connection: 'close' });
    assert.equal(made.status, 202, made.body);
    const id = (JSON.parse(made.body) as { task_id: string }).task_id;
    const request = `GET /api/status/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
    // Every earlier connection gone (the harness's readiness polls kept alive: Node's keepAliveTimeout is 5 s).
    await sleep(5500);
    for (let i = 0; i < 3; i++) {
      const socket = connect(api().port, '127.0.0.1');
      socket.on('error', (error) => assert.fail(`held connection ${i + 1}: ${error.message}`));
      socket.write(request);
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      held.push(socket);
    }
    const beyond = await drip(api().port, request, '', 1000, 5000);
    assert.deepEqual(beyond, { closed: true, received: '' });
    held.shift()?.destroy();
    await sleep(300);
    const after = await drip(api().port, request, '', 1000, 1500);
    assert.match(after.received, /^HTTP\/1\.1 200 /);
  });
});

/**
 * MAX_CONNECTIONS_PER_CLIENT=3 (found by a stranger's trial: one address holding all
 * MAX_CONNECTIONS locked everyone out): one peer address's fourth socket is closed at once while
 * another address is still served. TRUST_PROXY=false, so the loopback aliases count as clients
 * (a trusted proxy's sockets, which carry everyone's requests, are not counted).
 */
void describe('security: one address holding connections (MAX_CONNECTIONS_PER_CLIENT=3)', () => {
  const api = useSecurityApi('peer-connections', { MAX_CONNECTIONS_PER_CLIENT: '3', TRUST_PROXY: 'false' });
  const held: Socket[] = [];
  after(() => held.forEach((socket) => socket.destroy()));
  const config = 'GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

  void it('attack: one address opens connections and holds them idle -> its next is closed at once, unanswered; another address is still served', async () => {
    for (let i = 0; i < 3; i++) {
      const socket = connect({ port: api().port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      held.push(socket);
    }
    await sleep(200);
    assert.ok(
      held.every((socket) => !socket.destroyed),
      'the first three stay open',
    );
    const beyond = await drip(api().port, config, '', 1000, 3000, '127.0.0.2');
    assert.deepEqual(beyond, { closed: true, received: '' });
    const other = await drip(api().port, config, '', 1000, 3000, '127.0.0.3');
    assert.match(other.received, /^HTTP\/1\.1 200 /);
    held.shift()?.destroy();
    await sleep(300);
    const again = await drip(api().port, config, '', 1000, 3000, '127.0.0.2');
    assert.match(again.received, /^HTTP\/1\.1 200 /, 'a closed connection frees its place');
  });
});
