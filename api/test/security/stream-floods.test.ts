import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { waitFor } from '../support/env';
import { postPicture, useSecurityApi } from './support';

/** An event stream as the attacker holds it: its status, and for a refusal its headers and body. */
interface HeldStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Drops the connection (the client goes away). */
  close(): void;
}

/** GET /api/status/{id} from `localAddress`: resolves once the headers came (a 200 stays open). */
function openStream(url: string, localAddress: string): Promise<HeldStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { Accept: 'text/event-stream' } }, (res) => {
      const held: HeldStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        close: () => req.destroy(),
      };
      if (held.status === 200) {
        resolve(held);
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (held.body += chunk));
      res.on('end', () => resolve(held));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Stream floods (docs/design.md, HTTP contract): each open event stream holds a socket, a Redis
 * listener and a timer. SSE_STREAMS_PER_CLIENT=3 and SSE_STREAMS_TOTAL=5 make both bounds
 * reachable in a test; clients are loopback aliases. The task followed waits for ever (no sidecar),
 * so its streams stay open until closed.
 */
void describe('security: stream floods (SSE_STREAMS_PER_CLIENT=3, SSE_STREAMS_TOTAL=5)', () => {
  const api = useSecurityApi('streams', { SSE_STREAMS_PER_CLIENT: '3', SSE_STREAMS_TOTAL: '5' });
  const open: HeldStream[] = [];
  after(() => open.forEach((stream) => stream.close()));
  let streamUrl = '';

  async function hold(localAddress: string): Promise<HeldStream> {
    if (streamUrl === '') {
      const made = await postPicture(api().url);
      assert.equal(made.status, 202, made.body);
      streamUrl = `${api().url}/api/status/${(JSON.parse(made.body) as { task_id: string }).task_id}`;
    }
    const stream = await openStream(streamUrl, localAddress);
    if (stream.status === 200) open.push(stream);
    return stream;
  }

  void it('attack: one client opens streams until refused -> 429 too_many_streams with Retry-After, before any stream opens', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await hold('127.0.0.2')).status, 200);
    const refused = await hold('127.0.0.2');
    assert.equal(refused.status, 429, refused.body);
    assert.match(String(refused.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(refused.body), {
      success: false,
      error: 'Too many open event streams, close one first',
      code: 'too_many_streams',
    });
    assert.ok(Number(refused.headers['retry-after']) >= 1, String(refused.headers['retry-after']));
  });

  void it('attack: many clients open streams until the process holds SSE_STREAMS_TOTAL -> 503 streams_full with Retry-After', async () => {
    assert.equal((await hold('127.0.0.3')).status, 200);
    assert.equal((await hold('127.0.0.3')).status, 200);
    const refused = await hold('127.0.0.4');
    assert.equal(refused.status, 503, refused.body);
    assert.deepEqual(JSON.parse(refused.body), {
      success: false,
      error: 'Too many open event streams here, retry later',
      code: 'streams_full',
    });
    assert.ok(Number(refused.headers['retry-after']) >= 1);
  });

  void it('a client that goes away gives its stream back: the same client (and the process) may open one again', async () => {
    const mine = open.splice(0, 1)[0];
    mine.close();
    const again = await waitFor('the closed stream to be released', async () => {
      const stream = await hold('127.0.0.2');
      return stream.status === 200 ? stream : undefined;
    });
    assert.equal(again.status, 200);
    // Full again (5 of 5): the count was released once, not twice.
    assert.equal((await hold('127.0.0.4')).status, 503);
  });
});
