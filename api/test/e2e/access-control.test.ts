import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessIssuer } from '../support/access-issuer';
import { type ApiProcess, startApi } from '../support/api-process';
import { GLB_DIR, clearKilnKeys, tempDir } from '../support/env';
import { runKiln3d } from '../support/cli-process';
import { sample } from '../support/http-client';
import { type RawReply, imageForm, sendRaw } from '../support/raw-http';

const KEY = 'family-key-e2e-0123456789';
const ADMIN_TOKEN = 'access-e2e-admin-token-0123456789';
const NOT_FOUND = { success: false, error: 'Not found', code: 'not_found' };
const UNAUTHORIZED = { success: false, error: 'Unauthorized', code: 'unauthorized' };
/** No sidecar: access control is judged before any engine is needed; tasks just wait. */
const NO_SIDECAR = { INFERENCE_URL: 'unix:///nonexistent/kiln3d-access.sock' };

async function post(
  api: ApiProcess,
  headers: Record<string, string>,
  picture = sample('typical_misc_lantern.png'),
): Promise<RawReply> {
  const form = await imageForm(picture, 'upload.png');
  return sendRaw(`${api.url}/api/generate`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': form.contentType },
    body: form.body,
  });
}

function assertUnauthorized(reply: RawReply, what: string, challenge = true): void {
  assert.equal(reply.status, 401, `${what}: ${reply.body}`);
  assert.deepEqual(JSON.parse(reply.body), UNAUTHORIZED, what);
  assert.equal(reply.headers['www-authenticate'], challenge ? 'Bearer realm="kiln3d"' : undefined, what);
}

/** The first bytes of an SSE answer (status, content type), then the connection is dropped. */
async function openStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | null; body: string }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  let body = '';
  if (response.headers.get('content-type')?.startsWith('text/event-stream') && response.body) {
    // The stream's start up to its first event: the server may flush `retry:` or a blank line
    // in a chunk of its own first (more likely on a busy machine).
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const deadline = Date.now() + 10_000;
    while (!/^event: /m.test(body) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
    }
  } else {
    body = await response.text();
  }
  controller.abort();
  return { status: response.status, type: response.headers.get('content-type'), body };
}

void describe('optional access control, end to end', () => {
  const dir = tempDir('e2e-access');
  const modelId = randomUUID();
  let issuer: AccessIssuer;
  let guarded: ApiProcess;
  let open: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    issuer = await AccessIssuer.start();
    const webDir = join(dir.path, 'web');
    mkdirSync(webDir, { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Kiln3D</title>');
    // Processes on one Redis share one model store (separate folders are refused at start).
    const staticDir = join(dir.path, 'static');
    mkdirSync(staticDir, { recursive: true });
    copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(staticDir, `${modelId}.glb`));
    const start = (name: string, env: Record<string, string>) => {
      return startApi({
        staticDir,
        logDir: join(dir.path, name, 'logs'),
        env: { ...NO_SIDECAR, MAX_QUEUE: '20', WEB_DIR: webDir, ...env },
        waitReady: false,
      });
    };
    [guarded, open] = await Promise.all([
      start('guarded', { ...issuer.env(), API_KEYS: KEY, ADMIN_TOKEN }),
      start('open', {}),
    ]);
  });
  after(async () => {
    // Without a sidecar a graceful stop only waits for its job until SIGKILL: end them at once.
    await Promise.all([guarded?.kill(), open?.kill()]);
    await issuer?.stop();
    await clearKilnKeys();
    dir.remove();
  });

  void it('POST /api/generate without a valid key or Access token is 401 with the documented body', async () => {
    assertUnauthorized(await post(guarded, {}), 'no credentials');
    assertUnauthorized(await post(guarded, { Authorization: 'Bearer wrong-key-0123456789' }), 'wrong key');
    assertUnauthorized(
      await post(guarded, { Authorization: `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}` }),
      'Basic',
    );
    const bad: [string, string][] = [
      ['expired', await issuer.token({ expiresInS: -3600 })],
      ['wrong audience', await issuer.token({ audience: 'someone-elses-application' })],
      ['wrong issuer', await issuer.token({ issuer: 'https://evil.cloudflareaccess.com' })],
      ['not signed by the team', await issuer.token({ foreignKey: true })],
      ['not a JWT', 'garbage'],
    ];
    for (const [what, token] of bad) {
      assertUnauthorized(await post(guarded, { 'Cf-Access-Jwt-Assertion': token }), `${what} (header)`);
      assertUnauthorized(await post(guarded, { Cookie: `CF_Authorization=${token}` }), `${what} (cookie)`);
    }
  });

  void it('the CLI without the key, or with a wrong one, is refused with a line that says to set $KILN3D_API_KEY', async () => {
    const picture = join(dir.path, 'cli.png');
    writeFileSync(picture, sample('typical_misc_lantern.png'));
    const none = await runKiln3d(dir.path, ['generate', picture, '--out', join(dir.path, 'cli-out')], {
      KILN3D_SERVER: guarded.url,
    });
    assert.equal(none.code, 3, none.stderr);
    assert.match(
      none.stderr,
      /^cli\.png: refused \(401 unauthorized\): Unauthorized \(this server needs an API key: set \$KILN3D_API_KEY to one of its API_KEYS\)$/m,
    );
    const wrong = await runKiln3d(dir.path, ['status', randomUUID()], {
      KILN3D_SERVER: guarded.url,
      KILN3D_API_KEY: 'wrong-key-0123456789',
    });
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(
      wrong.stderr,
      /Unauthorized \(the key in \$KILN3D_API_KEY is not one of this server's API keys\)$/m,
    );
  });

  void it('a good API key, or a good Access token in the header or the cookie, is 202', async () => {
    const credentials: Record<string, string>[] = [
      { Authorization: `Bearer ${KEY}` },
      { 'Cf-Access-Jwt-Assertion': await issuer.token() },
      { Cookie: `CF_Authorization=${await issuer.token()}` },
    ];
    for (const headers of credentials) {
      const reply = await post(guarded, headers);
      assert.equal(reply.status, 202, `${JSON.stringify(headers).slice(0, 40)}: ${reply.body}`);
    }
  });

  void it('the task routes (JSON, SSE, DELETE) need it too', async () => {
    const accepted = await post(guarded, { Authorization: `Bearer ${KEY}` });
    const { task_id: id, task_token: token } = JSON.parse(accepted.body) as {
      task_id: string;
      task_token: string;
    };
    const key = { Authorization: `Bearer ${KEY}` };
    assertUnauthorized(await sendRaw(`${guarded.url}/api/tasks/${id}`), 'GET task');
    assert.equal((await sendRaw(`${guarded.url}/api/tasks/${id}`, { headers: key })).status, 200);
    assertUnauthorized(
      await sendRaw(`${guarded.url}/api/tasks/${randomUUID()}`),
      'an unknown task says nothing either',
    );
    assertUnauthorized(await sendRaw(`${guarded.url}/api/tasks/${id}/download`), "a task's download");
    const refused = await openStream(`${guarded.url}/api/status/${id}`, {});
    assert.deepEqual([refused.status, JSON.parse(refused.body)], [401, UNAUTHORIZED]);
    const stream = await openStream(`${guarded.url}/api/status/${id}`, {
      Cookie: `CF_Authorization=${await issuer.token()}`,
    });
    assert.equal(stream.status, 200);
    assert.match(stream.type ?? '', /^text\/event-stream/);
    assert.match(stream.body, /^event: (queued|processing|failed)$/m, "the task's current state comes first");
    assertUnauthorized(
      await sendRaw(`${guarded.url}/api/tasks/${id}`, {
        method: 'DELETE',
        headers: { 'X-Task-Token': token },
      }),
      'DELETE task, even with its token',
    );
    // Let through: a cancel (200), or 409 when the task already ended (without a sidecar it fails at once).
    const cancel = await sendRaw(`${guarded.url}/api/tasks/${id}`, {
      method: 'DELETE',
      headers: { ...key, 'X-Task-Token': token },
    });
    assert.ok(
      cancel.status === 200 || (cancel.status === 409 && cancel.body.includes('Task already finished')),
      cancel.body,
    );
  });

  void it('health, config, the model files (share links) and the web app stay public', async () => {
    for (const path of ['/api/config', `/static/${modelId}.glb`, '/', `/m/${modelId}`]) {
      const reply = await sendRaw(`${guarded.url}${path}`);
      assert.equal(reply.status, 200, `${path}: ${reply.body.slice(0, 200)}`);
    }
    // The share page's Download menu, by model id: past the guard (this copied file has no model
    // record, so the routes say 404 not_found, as to anyone for an unknown model; never 401).
    for (const path of [`/api/models/${modelId}/formats`, `/api/models/${modelId}/download?format=stl`]) {
      const reply = await sendRaw(`${guarded.url}${path}`);
      assert.deepEqual([reply.status, JSON.parse(reply.body)], [404, NOT_FOUND], path);
    }
    // Without a sidecar the health is "degraded" (503), which it says to anyone.
    const health = await sendRaw(`${guarded.url}/api/health`);
    assert.equal(health.status, 503, health.body);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'degraded');
  });

  void it('order: a declared body over the limit is 413 before 401; anything else unauthenticated is 401, junk included', async () => {
    const oversized = await sendRaw(`${guarded.url}/api/generate`, {
      method: 'POST',
      headers: {
        'Content-Type': 'multipart/form-data; boundary=x',
        'Content-Length': String(50 * 1024 * 1024),
      },
    });
    assert.equal(oversized.status, 413, oversized.body);
    assertUnauthorized(await post(guarded, {}, Buffer.from('not a picture')), 'junk');
  });

  void it('off by default: the same requests without credentials are served', async () => {
    const reply = await post(open, {});
    assert.equal(reply.status, 202, reply.body);
    const { task_id: id } = JSON.parse(reply.body) as { task_id: string };
    assert.equal((await sendRaw(`${open.url}/api/tasks/${id}`)).status, 200);
    assert.equal((await openStream(`${open.url}/api/status/${id}`, {})).status, 200);
  });

  void it('admin routes: an Access token alone opens none (401); with the bearer, the log names the Access email', async () => {
    const token = await issuer.token();
    const pause = (headers: Record<string, string>) =>
      fetch(`${guarded.url}/api/admin/admissions/pause`, { method: 'POST', headers });
    for (const headers of [
      { 'Cf-Access-Jwt-Assertion': token },
      { Cookie: `CF_Authorization=${token}` },
    ] as Record<string, string>[]) {
      const refused = await pause(headers);
      assert.equal(refused.status, 401);
      assert.deepEqual(await refused.json(), UNAUTHORIZED);
    }
    const paused = await pause({ Authorization: `Bearer ${ADMIN_TOKEN}`, 'Cf-Access-Jwt-Assertion': token });
    assert.equal(paused.status, 200);
    assert.equal(((await paused.json()) as { by: string }).by, '127.0.0.1 (family@example.org)');
    const resumed = await fetch(`${guarded.url}/api/admin/admissions/resume`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Cf-Access-Jwt-Assertion': 'not-a-jwt' },
    });
    assert.equal(resumed.status, 200);
    assert.match(guarded.output(), /admissions paused by 127\.0\.0\.1 \(family@example\.org\)/);
    // A token that does not verify names no one: the address alone.
    const resumedLine = guarded
      .output()
      .split('\n')
      .find((line) => line.includes('admissions resumed by'));
    assert.ok(resumedLine?.includes('admissions resumed by 127.0.0.1'), resumedLine);
    assert.ok(resumedLine !== undefined && !resumedLine.includes('@'), resumedLine);
  });
});
