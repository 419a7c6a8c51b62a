import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { webAppMiddleware } from '../../src/storage/web-app.middleware';
import { tempDir } from '../support/env';

/** The built web app at /, index.html for client routes, never /api or /static. */
void describe('web app serving', () => {
  const dir = tempDir('web');
  const built = join(dir.path, 'browser');
  let server: Server;
  let base = '';

  before(async () => {
    mkdirSync(built);
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>Kiln3D</title>');
    writeFileSync(join(built, 'main-abc.js'), 'console.log(1)');
    const app = express();
    app.use('/missing-build', webAppMiddleware(join(dir.path, 'absent')));
    app.use(webAppMiddleware(built));
    app.use((_req, res) => res.status(404).json({ success: false, error: 'Not found', code: 'not_found' }));
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  void it('serves index.html at / and for client routes like /m/{uuid}', async () => {
    for (const path of ['/', '/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', '/history']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /<title>Kiln3D<\/title>/);
    }
  });

  void it('serves built files, and a missing asset is a 404 rather than the app', async () => {
    const asset = await fetch(`${base}/main-abc.js`);
    assert.equal(asset.status, 200);
    assert.equal(await asset.text(), 'console.log(1)');
    assert.equal((await fetch(`${base}/main-missing.js`)).status, 404);
  });

  void it('leaves /api and /static to their own routes', async () => {
    for (const path of ['/api/nope', '/static/x.glb', '/api', '/static']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), { success: false, error: 'Not found', code: 'not_found' });
    }
  });

  void it("says that the web app is not built (503, the contract's JSON error body) when it is missing", async () => {
    for (const path of ['/missing-build/', '/missing-build/m/6f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 503, path);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(await response.json(), {
        success: false,
        error: 'Web app not built',
        code: 'web_app_not_built',
      });
    }
  });
});
