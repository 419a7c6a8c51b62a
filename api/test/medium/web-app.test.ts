import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { webAppMiddleware } from '../../src/storage/web-app.middleware';
import { tempDir } from '../support/env';

/** A build output large enough to be worth compressing (the middleware's threshold is 1 kB). */
const BIG_CHUNK = Array.from({ length: 400 }, (_, i) => `export const part${i} = ${i * 7};`).join('\n');

/** One raw GET (node:http decodes nothing), with the headers given: status, headers, body bytes. */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

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
    writeFileSync(join(built, 'chunk-ABCDEFGH.js'), BIG_CHUNK);
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

  void it('compresses its files with brotli or gzip as the browser allows, and never what it leaves to other routes', async () => {
    const brotli = await rawGet(`${base}/chunk-ABCDEFGH.js`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.match(String(brotli.headers.vary), /Accept-Encoding/i);
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(brotliDecompressSync(brotli.body).toString(), BIG_CHUNK);
    assert.ok(
      brotli.body.length < BIG_CHUNK.length / 3,
      `${brotli.body.length} of ${BIG_CHUNK.length} bytes`,
    );

    const gzip = await rawGet(`${base}/chunk-ABCDEFGH.js`, { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzip.body).toString(), BIG_CHUNK);

    const plain = await rawGet(`${base}/chunk-ABCDEFGH.js`, { 'accept-encoding': 'identity' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), BIG_CHUNK);

    // Too small to be worth it (index.html here is 37 bytes): sent as it is.
    const index = await rawGet(`${base}/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90`, { 'accept-encoding': 'br' });
    assert.equal(index.headers['content-encoding'], undefined);
    assert.match(index.body.toString(), /<title>Kiln3D<\/title>/);

    for (const path of ['/api/nope', '/static/x.glb']) {
      const other = await rawGet(`${base}${path}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(other.status, 404, path);
      assert.equal(other.headers['content-encoding'], undefined, path);
    }
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
