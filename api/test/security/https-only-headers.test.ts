import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { type RawReply, sendRaw } from '../support/raw-http';
import { NO_SIDECAR } from './support';

const HSTS = 'max-age=15552000; includeSubDomains';
const PROXY = '127.0.0.2';

function pinned(reply: RawReply): { hsts: boolean; upgrade: boolean } {
  return {
    hsts: reply.headers['strict-transport-security'] === HSTS,
    upgrade: String(reply.headers['content-security-policy'] ?? '').includes('upgrade-insecure-requests'),
  };
}

/**
 * An instance whose PUBLIC_BASE_URL is https (its public hostname) also serves its LAN on plain
 * http: HSTS and upgrade-insecure-requests go only on answers that went out over https, as the
 * connection or the listed proxy (127.0.0.2, X-Forwarded-Proto) says.
 */
void describe('security: HSTS and upgrade-insecure-requests only over https', () => {
  const dir = tempDir('security-https');
  let api: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    const webDir = join(dir.path, 'web');
    mkdirSync(webDir, { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Kiln3D</title>');
    api = await startApi({
      staticDir: join(dir.path, 'static'),
      logDir: join(dir.path, 'logs'),
      env: { ...NO_SIDECAR, WEB_DIR: webDir, PUBLIC_BASE_URL: 'https://3d.example.com', TRUST_PROXY: PROXY },
      waitReady: false,
    });
  });
  after(async () => {
    await api?.kill();
    await clearKilnKeys();
    dir.remove();
  });

  void it('a LAN visitor on plain http gets a working app: no HSTS, no upgrade-insecure-requests', async () => {
    for (const path of ['/', '/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', '/api/config', '/api/docs']) {
      const reply = await sendRaw(`${api.url}${path}`, { headers: { Host: '192.168.1.20:8000' } });
      assert.equal(reply.status, 200, path);
      assert.deepEqual(pinned(reply), { hsts: false, upgrade: false }, path);
    }
  });

  void it('attack: a stranger sends X-Forwarded-Proto: https to get a LAN browser pinned -> ignored (not from the proxy)', async () => {
    const reply = await sendRaw(`${api.url}/`, {
      headers: { 'X-Forwarded-Proto': 'https' },
      localAddress: '127.0.0.3',
    });
    assert.deepEqual(pinned(reply), { hsts: false, upgrade: false });
  });

  void it('through the listed proxy over https (X-Forwarded-Proto: https): HSTS and upgrade-insecure-requests', async () => {
    for (const path of ['/', '/api/config', '/api/docs']) {
      const reply = await sendRaw(`${api.url}${path}`, {
        headers: { 'X-Forwarded-Proto': 'https' },
        localAddress: PROXY,
      });
      assert.deepEqual(pinned(reply), { hsts: true, upgrade: true }, path);
    }
  });

  void it('through the listed proxy over plain http (X-Forwarded-Proto: http): neither', async () => {
    const reply = await sendRaw(`${api.url}/`, {
      headers: { 'X-Forwarded-Proto': 'http' },
      localAddress: PROXY,
    });
    assert.deepEqual(pinned(reply), { hsts: false, upgrade: false });
  });
});
