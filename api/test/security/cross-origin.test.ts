import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { GLB_DIR, clearKilnKeys, tempDir } from '../support/env';
import { sendRaw } from '../support/raw-http';
import { NO_SIDECAR, startWith } from './support';

const MODEL = join(GLB_DIR, 'generic-trigger-left.glb');
const VIEWER_SITE = 'https://viewer.example';
const APP_SITE = 'https://app.example.com';

/** The comma-separated names of a header, lower-cased. */
function names(header: string | string[] | undefined): string[] {
  return String(header ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
}

/**
 * Cross-origin rules against a real api: a model at /static/{uuid}.glb loads in three.js or
 * <model-viewer> on any site (CORS *, ranges); the API answers other sites only when
 * CORS_ORIGINS lists them. `plain` has no CORS_ORIGINS; `listing` lists APP_SITE.
 */
void describe('security: cross-origin access (models public, API same-origin)', () => {
  const dir = tempDir('security-cors');
  const staticDir = join(dir.path, 'static');
  const modelId = randomUUID();
  const size = statSync(MODEL).size;
  let plain: ApiProcess;
  let listing: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    mkdirSync(staticDir, { recursive: true });
    copyFileSync(MODEL, join(staticDir, `${modelId}.glb`));
    const start = (name: string, env: Record<string, string>) =>
      startApi({ staticDir, logDir: join(dir.path, name), env: { ...NO_SIDECAR, ...env }, waitReady: false });
    [plain, listing] = await Promise.all([start('plain', {}), start('listing', { CORS_ORIGINS: APP_SITE })]);
  });
  after(async () => {
    await Promise.all([plain?.kill(), listing?.kill()]);
    await clearKilnKeys();
    dir.remove();
  });

  for (const which of ['plain', 'listing'] as const) {
    const api = (): ApiProcess => (which === 'plain' ? plain : listing);

    void it(`${which}: a model loads from any other site (Access-Control-Allow-Origin: *, no credentials)`, async () => {
      const reply = await sendRaw(`${api().url}/static/${modelId}.glb`, { headers: { Origin: VIEWER_SITE } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['access-control-allow-origin'], '*');
      assert.equal(reply.headers['access-control-allow-credentials'], undefined);
      assert.equal(
        reply.headers['vary'],
        undefined,
        'one answer for every origin: an edge cache keeps one copy',
      );
      for (const name of ['content-range', 'accept-ranges', 'content-length'])
        assert.ok(names(reply.headers['access-control-expose-headers']).includes(name), name);
    });

    void it(`${which}: a ranged model load from another site: the preflight is answered, the 206 readable`, async () => {
      const preflight = await sendRaw(`${api().url}/static/${modelId}.glb`, {
        method: 'OPTIONS',
        headers: {
          Origin: VIEWER_SITE,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'range',
        },
      });
      assert.equal(preflight.status, 204, preflight.body);
      assert.equal(preflight.headers['access-control-allow-origin'], '*');
      assert.ok(names(preflight.headers['access-control-allow-headers']).includes('range'));
      assert.ok(names(preflight.headers['access-control-allow-methods']).includes('get'));
      const ranged = await sendRaw(`${api().url}/static/${modelId}.glb`, {
        headers: { Origin: VIEWER_SITE, Range: 'bytes=0-99' },
      });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers['content-range'], `bytes 0-99/${size}`);
      assert.equal(ranged.headers['access-control-allow-origin'], '*');
    });
  }

  void it("attack: another site's page reads the API (a task, the config) -> no CORS grant, the browser keeps the answer from it", async () => {
    const reply = await sendRaw(`${plain.url}/api/config`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
  });

  void it("attack: another site's preflight for POST /api/generate -> not granted", async () => {
    const reply = await sendRaw(`${plain.url}/api/generate`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
    assert.equal(reply.headers['access-control-allow-methods'], undefined);
  });

  void it('CORS_ORIGINS lists an origin: that site may call the API; any other still not', async () => {
    const allowed = await sendRaw(`${listing.url}/api/config`, { headers: { Origin: APP_SITE } });
    assert.equal(allowed.headers['access-control-allow-origin'], APP_SITE);
    const preflight = await sendRaw(`${listing.url}/api/generate`, {
      method: 'OPTIONS',
      headers: { Origin: APP_SITE, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], APP_SITE);
    const other = await sendRaw(`${listing.url}/api/config`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  void it('attack surface: CORS_ORIGINS=* (every site) -> exit 1, naming CORS_ORIGINS', () => {
    const started = startWith({ CORS_ORIGINS: '*' });
    assert.equal(started.status, 1, started.stderr);
    assert.match(started.stderr, /^Invalid configuration: CORS_ORIGINS must list origins/m);
  });
});
