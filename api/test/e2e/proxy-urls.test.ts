import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApiProcess, useApi } from '../support/api-process';
import { modelIdIn, sample } from '../support/http-client';
import { imageForm, readTimedSse, sendRaw, timedEvents } from '../support/raw-http';

/** What a client behind (or pretending to be) a proxy sends with every request. */
const FORWARDED = {
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Host': 'kiln.example.org',
  'X-Forwarded-For': '198.51.100.9',
  'CF-Connecting-IP': '203.0.113.7',
};

interface HandedOut {
  taskId: string;
  statusUrl: string;
  watchUrl: string;
  sseCompleted: Record<string, unknown>;
  task: Record<string, unknown>;
  waitModelUrl: string;
  waitShareUrl: string;
}

/**
 * Every URL the api hands out for one upload, each request sent with `headers`: status_url of
 * the 202, the SSE completed data, GET /api/tasks/{id}, and ?wait=true's model_url and share_url.
 */
async function handedOut(api: ApiProcess, headers: Record<string, string>): Promise<HandedOut> {
  const form = await imageForm(sample('typical_misc_lantern.png'), 'lantern.png');
  const post = (query: string): Promise<{ status: number; body: string }> =>
    sendRaw(`${api.url}/api/generate${query}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': form.contentType },
      body: form.body,
    });
  const accepted = await post('');
  assert.equal(accepted.status, 202, accepted.body);
  const {
    task_id: taskId,
    status_url: statusUrl,
    watch_url: watchUrl,
  } = JSON.parse(accepted.body) as {
    task_id: string;
    status_url: string;
    watch_url: string;
  };
  const stream = await readTimedSse(`${api.url}/api/status/${taskId}`, { headers, timeoutMs: 60_000 });
  const last = timedEvents(stream).at(-1);
  assert.equal(last?.event, 'completed', JSON.stringify(stream.records.slice(-3)));
  const task = await sendRaw(`${api.url}/api/tasks/${taskId}`, { headers });
  assert.equal(task.status, 200, task.body);
  const waited = await post('?wait=true');
  assert.equal(waited.status, 200, waited.body);
  return {
    taskId,
    statusUrl,
    watchUrl,
    sseCompleted: last.data,
    task: JSON.parse(task.body) as Record<string, unknown>,
    waitModelUrl: (JSON.parse(waited.body) as { model_url: string }).model_url,
    waitShareUrl: (JSON.parse(waited.body) as { share_url: string }).share_url,
  };
}

/** Asserts that every URL of `out` starts with `base` (and the right path). */
function assertBase(out: HandedOut, base: string): void {
  assert.equal(out.statusUrl, `${base}/api/status/${out.taskId}`);
  assert.equal(out.watchUrl, `${base}/t/${out.taskId}`);
  for (const data of [out.sseCompleted, out.task]) {
    const modelId = modelIdIn(String(data['model_url']), String(data['download_url']), out.taskId);
    assert.equal(data['model_url'], `${base}/static/${modelId}.glb`);
    assert.equal(data['share_url'], `${base}/m/${modelId}`);
  }
  assert.match(
    out.waitModelUrl,
    new RegExp(`^${base.replace(/[.:/]/g, '\\$&')}/static/[0-9a-f-]{36}\\.glb$`),
  );
  // ?wait=true's share page is its own model's.
  assert.equal(out.waitShareUrl, out.waitModelUrl.replace(/\/static\/([0-9a-f-]{36})\.glb$/, '/m/$1'));
}

/** One api process per proxy setting, on the simulate engine; each case is one describe. */
function withApi(name: string, env: Record<string, string>, body: (api: () => ApiProcess) => void): void {
  void describe(name, () => {
    const api = useApi('e2e-proxy', { env: { SIMULATE_SECONDS: '1', ...env } });
    body(() => api);
  });
}

withApi('PUBLIC_BASE_URL set', { PUBLIC_BASE_URL: 'https://3d.example.com' }, (api) => {
  void it('every URL uses PUBLIC_BASE_URL whatever the forwarding headers say', async () => {
    assertBase(await handedOut(api(), FORWARDED), 'https://3d.example.com');
    assertBase(await handedOut(api(), { Host: 'other.example:81' }), 'https://3d.example.com');
  });
});

withApi('no PUBLIC_BASE_URL, the peer trusted (TRUST_PROXY default: loopback)', {}, (api) => {
  void it('every URL follows X-Forwarded-Proto and X-Forwarded-Host (a proxy such as nginx)', async () => {
    const { 'CF-Connecting-IP': _cf, ...nginx } = FORWARDED;
    assertBase(await handedOut(api(), nginx), 'https://kiln.example.org');
  });

  void it("through Cloudflare (CF-Connecting-IP), X-Forwarded-Host is the visitor's own: the Host header counts", async () => {
    assertBase(await handedOut(api(), { ...FORWARDED, Host: '3d.example.com' }), 'https://3d.example.com');
  });

  void it('without forwarding headers, the Host header and http', async () => {
    assertBase(await handedOut(api(), { Host: 'kiln.lan:8000' }), 'http://kiln.lan:8000');
  });

  void it("logs the client as CF-Connecting-IP (the trusted peer's word)", () => {
    assert.match(api().output(), /request received task=\S+ .* client=203\.0\.113\.7\b/);
  });
});

withApi(
  'no PUBLIC_BASE_URL, the peer untrusted (TRUST_PROXY=127.0.0.2, the client 127.0.0.1)',
  { TRUST_PROXY: '127.0.0.2' },
  (api) => {
    void it('forged X-Forwarded-* are ignored: URLs use the Host header and http', async () => {
      assertBase(await handedOut(api(), { ...FORWARDED, Host: 'kiln.lan:8000' }), 'http://kiln.lan:8000');
    });

    void it('forged CF-Connecting-IP / X-Forwarded-For are ignored: the client is the socket address', () => {
      const log = api().output();
      assert.match(log, /request received task=\S+ .* client=127\.0\.0\.1\b/);
      assert.doesNotMatch(log, /client=(203\.0\.113\.7|198\.51\.100\.9)/);
    });
  },
);
