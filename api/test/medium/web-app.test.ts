import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { webAppMiddleware } from '../../src/storage/web-app.middleware';
import { tempDir } from '../support/env';
import { sendRaw } from '../support/raw-http';
import { precompress } from '../support/web-build';

/** A build output large enough to be worth compressing (the middleware's threshold is 1 kB). */
const BIG_CHUNK = Array.from({ length: 400 }, (_, i) => `export const part${i} = ${i * 7};`).join('\n');

/** Serves `app` on a free loopback port. */
async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  return { server, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/**
 * The web app of `webDir` as the api mounts it, after whatever `before` mounts, then the api's
 * JSON 404 for what nothing answered; on a free loopback port.
 */
function serveWebApp(
  webDir: string,
  before?: (app: express.Express) => void,
): Promise<{ server: Server; base: string }> {
  const app = express();
  before?.(app);
  app.use(webAppMiddleware(webDir));
  app.use((_req, res) => res.status(404).json({ success: false, error: 'Not found', code: 'not_found' }));
  return listen(app);
}

/** Closes the server, then removes the folder its web app was served from. */
async function stopServing(server: Server, dir: { remove(): void }): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
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
    ({ server, base } = await serveWebApp(built, (app) =>
      app.use('/missing-build', webAppMiddleware(join(dir.path, 'absent'))),
    ));
  });
  after(() => stopServing(server, dir));

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
    const brotli = await sendRaw(`${base}/chunk-ABCDEFGH.js`, {
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.match(String(brotli.headers.vary), /Accept-Encoding/i);
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(brotliDecompressSync(brotli.bytes).toString(), BIG_CHUNK);
    assert.ok(
      brotli.bytes.length < BIG_CHUNK.length / 3,
      `${brotli.bytes.length} of ${BIG_CHUNK.length} bytes`,
    );

    const gzip = await sendRaw(`${base}/chunk-ABCDEFGH.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzip.bytes).toString(), BIG_CHUNK);

    const plain = await sendRaw(`${base}/chunk-ABCDEFGH.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, BIG_CHUNK);

    // Too small to be worth it (index.html here is 37 bytes): sent as it is.
    const index = await sendRaw(`${base}/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90`, {
      headers: { 'accept-encoding': 'br' },
    });
    assert.equal(index.headers['content-encoding'], undefined);
    assert.match(index.body, /<title>Kiln3D<\/title>/);

    for (const path of ['/api/nope', '/static/x.glb']) {
      const other = await sendRaw(`${base}${path}`, { headers: { 'accept-encoding': 'br, gzip' } });
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

/**
 * A build as scripts/lib/web-build.mjs leaves it: brotli and gzip copies beside the files, sent as
 * they are (the bytes on disk, not a compression per request); what has none still compressed.
 */
void describe("the build's precompressed copies", () => {
  const dir = tempDir('web-precompressed');
  const built = join(dir.path, 'browser');
  const chunk = join(built, 'chunk-PRECOMP1.js');
  let server: Server;
  let base = '';

  before(async () => {
    mkdirSync(join(built, 'media'), { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>Kiln3D</title>');
    writeFileSync(chunk, BIG_CHUNK);
    writeFileSync(
      join(built, 'media', 'logo.svg'),
      `<svg xmlns="http://www.w3.org/2000/svg">${'<g/>'.repeat(400)}</svg>`,
    );
    writeFileSync(join(built, 'tiny-ABCDEFGH.js'), 'console.log(1)');
    writeFileSync(join(built, 'photo.png'), Buffer.alloc(4096, 7));
    const made = await precompress(built);
    assert.equal(
      made.files,
      2,
      'the chunk and the SVG: not index.html (37 bytes), the 15-byte chunk or the PNG',
    );
    assert.equal(made.bytes, BIG_CHUNK.length + readFileSync(join(built, 'media', 'logo.svg')).length);
    assert.ok(made.brotliBytes < made.bytes / 3, `${made.brotliBytes} of ${made.bytes} bytes`);
    // A second build step over the same folder compresses the sources again, never a copy.
    assert.equal((await precompress(built)).files, 2);
    assert.equal(existsSync(`${chunk}.br.br`), false);
    assert.equal(existsSync(join(built, 'photo.png.br')), false);
    ({ server, base } = await serveWebApp(built));
  });
  after(() => stopServing(server, dir));

  void it('sends the brotli copy to a browser that takes brotli, else the gzip copy, else the file', async () => {
    const brotli = await sendRaw(`${base}/chunk-PRECOMP1.js`, {
      headers: {
        'accept-encoding': 'gzip;q=1.0, deflate, br;q=0.5',
      },
    });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.deepEqual(brotli.bytes, readFileSync(`${chunk}.br`));
    assert.equal(brotliDecompressSync(brotli.bytes).toString(), BIG_CHUNK);
    assert.match(String(brotli.headers['content-type']), /^text\/javascript; charset=utf-8$/i); // RFC 9239
    assert.match(String(brotli.headers.vary), /Accept-Encoding/i);
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');

    const gzip = await sendRaw(`${base}/chunk-PRECOMP1.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.deepEqual(gzip.bytes, readFileSync(`${chunk}.gz`));
    assert.equal(gunzipSync(gzip.bytes).toString(), BIG_CHUNK);

    const plain = await sendRaw(`${base}/chunk-PRECOMP1.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, BIG_CHUNK);

    const svg = await sendRaw(`${base}/media/logo.svg`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(svg.headers['content-encoding'], 'br');
    assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/);
    assert.equal(svg.headers['cache-control'], 'no-cache');
  });

  void it('compresses per request what has no copy: a file built after the start', async () => {
    writeFileSync(join(built, 'chunk-LATER001.js'), BIG_CHUNK);
    const later = await sendRaw(`${base}/chunk-LATER001.js`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(later.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(later.bytes).toString(), BIG_CHUNK);
    assert.equal(later.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  void it('answers 404 without a Content-Encoding for a file whose copy went with a rebuild', async () => {
    rmSync(chunk);
    rmSync(`${chunk}.br`);
    rmSync(`${chunk}.gz`);
    const gone = await sendRaw(`${base}/chunk-PRECOMP1.js`, { headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(gone.status, 404);
    assert.equal(gone.headers['content-encoding'], undefined);
    assert.match(String(gone.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(gone.body), {
      success: false,
      error: 'Not found',
      code: 'not_found',
    });
  });
});

/**
 * The share page /m/{uuid} as Angular's build leaves it (index.html, stats.json beside the browser
 * folder): its lazily loaded chunks and its model's LOD are preloaded from the HTML (issue 21).
 */
void describe('the share page: its chunks and LOD preloaded', () => {
  const dir = tempDir('web-preloads');
  const built = join(dir.path, 'browser');
  const statsPath = join(dir.path, 'stats.json');
  const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
  let server: Server;
  let base = '';
  const metafile = (viewerChunk: string): string =>
    JSON.stringify({
      inputs: {},
      outputs: {
        'main-AAAAAAAA.js': {
          entryPoint: 'web/src/main.ts',
          imports: [
            { path: 'chunk-ANGULAR1.js', kind: 'import-statement' },
            { path: 'chunk-SHAREPG1.js', kind: 'dynamic-import' },
          ],
        },
        'chunk-ANGULAR1.js': { imports: [] },
        'chunk-SHAREPG1.js': {
          entryPoint: 'web/src/app/features/share/share-page.ts',
          imports: [
            { path: 'chunk-ANGULAR1.js', kind: 'import-statement' },
            { path: viewerChunk, kind: 'import-statement' },
          ],
        },
        [viewerChunk]: { imports: [] },
      },
    });

  before(async () => {
    mkdirSync(built);
    writeFileSync(
      join(built, 'index.html'),
      '<!doctype html><html><head><title>Kiln3D</title></head><body><kiln-root></kiln-root>' +
        '<link rel="modulepreload" href="chunk-ANGULAR1.js"><script src="main-AAAAAAAA.js" type="module"></script></body></html>',
    );
    writeFileSync(statsPath, metafile('chunk-VIEWER01.js'));
    ({ server, base } = await serveWebApp(built));
  });
  after(() => stopServing(server, dir));

  const links = (html: string): string[] => [...html.matchAll(/<link [^>]*>/g)].map((m) => m[0]);

  void it("names the route's own chunks once and the model's LOD, in the lower case the page asks for", async () => {
    const response = await fetch(`${base}/m/${id.toUpperCase()}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.deepEqual(links(await response.text()), [
      `<link rel="preload" href="/static/${id}.lod.glb" as="fetch" crossorigin>`,
      '<link rel="modulepreload" href="chunk-ANGULAR1.js">',
      '<link rel="modulepreload" href="chunk-SHAREPG1.js">',
      '<link rel="modulepreload" href="chunk-VIEWER01.js">',
    ]);
  });

  void it('preloads no LOD for an id that is not a model id, and nothing extra on other pages', async () => {
    assert.deepEqual(links(await (await fetch(`${base}/m/not-a-model`)).text()), [
      '<link rel="modulepreload" href="chunk-ANGULAR1.js">',
      '<link rel="modulepreload" href="chunk-SHAREPG1.js">',
      '<link rel="modulepreload" href="chunk-VIEWER01.js">',
    ]);
    for (const path of ['/', '/ops', `/m/${id}/extra`]) {
      assert.deepEqual(
        links(await (await fetch(`${base}${path}`)).text()),
        ['<link rel="modulepreload" href="chunk-ANGULAR1.js">'],
        path,
      );
    }
  });

  void it('answers a revalidation with 304, and follows a rebuild under the running server', async () => {
    const first = await fetch(`${base}/m/${id}`);
    const etag = first.headers.get('etag');
    assert.ok(etag);
    // node:http, not fetch: fetch adds Cache-Control: no-cache to a conditional request (Fetch spec).
    assert.equal((await sendRaw(`${base}/m/${id}`, { headers: { 'if-none-match': etag } })).status, 304);

    writeFileSync(statsPath, metafile('chunk-VIEWER02.js'));
    // A later mtime, whatever the file system's clock granularity.
    const later = new Date(Date.now() + 5000);
    utimesSync(statsPath, later, later);
    const rebuilt = await sendRaw(`${base}/m/${id}`, { headers: { 'if-none-match': etag } });
    assert.equal(rebuilt.status, 200);
    assert.ok(links(rebuilt.body).includes('<link rel="modulepreload" href="chunk-VIEWER02.js">'));

    // A build without a metafile: the page as Angular wrote it, plus the LOD.
    rmSync(statsPath);
    assert.deepEqual(links(await (await fetch(`${base}/m/${id}`)).text()), [
      `<link rel="preload" href="/static/${id}.lod.glb" as="fetch" crossorigin>`,
      '<link rel="modulepreload" href="chunk-ANGULAR1.js">',
    ]);
  });
});
