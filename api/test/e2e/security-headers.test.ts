import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { GLB_DIR, clearKilnKeys, tempDir } from '../support/env';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const MODEL_CACHE = 'public, max-age=172800, immutable';
const APP_SCRIPTS = "script-src 'self' 'wasm-unsafe-eval'";
const DOCS_SCRIPTS = "script-src 'self';";

/** A built web app as Angular lays it out: index.html, hashed bundles, an unhashed icon. */
function writeWebBuild(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Kiln3D</title>');
  writeFileSync(join(dir, 'main-BS7YN6QQ.js'), 'console.log(1)');
  writeFileSync(join(dir, 'chunk-SUDBD4DQ.js'), 'export {}');
  writeFileSync(join(dir, 'styles-GOUVMTJ4.css'), 'body{}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
}

/** The headers every answer carries, whatever route, status or PUBLIC_BASE_URL. */
function assertCommonHeaders(path: string, response: Response): void {
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
  assert.equal(response.headers.get('referrer-policy'), 'strict-origin-when-cross-origin', path);
  assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
  assert.equal(response.headers.get('x-powered-by'), null, path);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/, path);
  assert.match(csp, /frame-ancestors 'none'/, path);
  assert.match(csp, /object-src 'none'/, path);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-(inline|eval)'/, path);
}

/** Each route whose headers are checked, with what its Cache-Control must be and which policy. */
function routes(
  modelId: string,
): { path: string; status: number; cache: string | null; csp: 'app' | 'docs' }[] {
  return [
    { path: '/', status: 200, cache: 'no-cache', csp: 'app' },
    { path: `/m/${modelId}`, status: 200, cache: 'no-cache', csp: 'app' },
    { path: '/main-BS7YN6QQ.js', status: 200, cache: IMMUTABLE, csp: 'app' },
    { path: '/chunk-SUDBD4DQ.js', status: 200, cache: IMMUTABLE, csp: 'app' },
    { path: '/styles-GOUVMTJ4.css', status: 200, cache: IMMUTABLE, csp: 'app' },
    { path: '/favicon.svg', status: 200, cache: 'no-cache', csp: 'app' },
    { path: '/api/health', status: 200, cache: null, csp: 'app' },
    { path: '/api/docs', status: 200, cache: null, csp: 'docs' },
    { path: '/api/docs/swagger-ui-init.js', status: 200, cache: null, csp: 'docs' },
    { path: `/static/${modelId}.glb`, status: 200, cache: MODEL_CACHE, csp: 'app' },
    { path: `/static/${randomUUID()}.glb`, status: 404, cache: null, csp: 'app' },
    { path: '/api/nope', status: 404, cache: null, csp: 'app' },
  ];
}

for (const publicBaseUrl of [undefined, 'http://192.168.1.20:8000', 'https://kiln.example.com']) {
  void describe(`security headers (PUBLIC_BASE_URL ${publicBaseUrl ?? 'unset'})`, () => {
    const dir = tempDir('e2e-headers');
    const staticDir = join(dir.path, 'static');
    const webDir = join(dir.path, 'web');
    const modelId = randomUUID();
    let api: ApiProcess;

    before(async () => {
      await clearKilnKeys();
      writeWebBuild(webDir);
      mkdirSync(staticDir, { recursive: true });
      copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(staticDir, `${modelId}.glb`));
      const env: Record<string, string> = { WEB_DIR: webDir };
      if (publicBaseUrl) env['PUBLIC_BASE_URL'] = publicBaseUrl;
      // Headers need no engine: the api answers while the sidecar is still starting.
      api = await startApi({ staticDir, logDir: join(dir.path, 'logs'), env, waitReady: false });
    });
    after(async () => {
      await api?.stop();
      await clearKilnKeys();
      dir.remove();
    });

    for (const route of routes(modelId)) {
      void it(`${route.path.replace(modelId, '{uuid}')}: ${route.status}, ${route.csp} policy, cache ${route.cache ?? 'unset'}`, async () => {
        const path = route.path;
        const response = await fetch(`${api.url}${path}`);
        await response.arrayBuffer();
        assert.equal(response.status, route.status, path);
        assertCommonHeaders(path, response);
        const csp = response.headers.get('content-security-policy') ?? '';
        if (route.csp === 'app') {
          assert.ok(csp.includes(APP_SCRIPTS), `${path}: ${csp}`);
        } else {
          assert.ok(csp.includes(DOCS_SCRIPTS), `${path}: ${csp}`);
          assert.ok(!csp.includes('wasm-unsafe-eval'), `${path}: ${csp}`);
        }
        if (route.cache !== null) assert.equal(response.headers.get('cache-control'), route.cache, path);
        if (route.path.startsWith('/api/')) {
          const cache = response.headers.get('cache-control');
          assert.ok(cache === null || !cache.includes('immutable'), `${path}: ${cache}`);
        }
        // Plain http (a LAN visitor, whatever PUBLIC_BASE_URL says): never pinned or upgraded to https.
        assert.equal(response.headers.get('strict-transport-security'), null, path);
        assert.equal(csp.includes('upgrade-insecure-requests'), false, `${path}: ${csp}`);
      });

      void it(`${route.path.replace(modelId, '{uuid}')} over https (a trusted proxy's X-Forwarded-Proto): HSTS and upgrade-insecure-requests`, async () => {
        const response = await fetch(`${api.url}${route.path}`, {
          headers: { 'X-Forwarded-Proto': 'https' },
        });
        await response.arrayBuffer();
        assert.equal(response.status, route.status, route.path);
        assertCommonHeaders(route.path, response);
        const csp = response.headers.get('content-security-policy') ?? '';
        assert.equal(
          response.headers.get('strict-transport-security'),
          'max-age=15552000; includeSubDomains',
        );
        assert.ok(csp.includes('upgrade-insecure-requests'), `${route.path}: ${csp}`);
        assert.ok(csp.includes(route.csp === 'app' ? APP_SCRIPTS : DOCS_SCRIPTS), `${route.path}: ${csp}`);
      });
    }

    void it('a model may be shown by other sites (no same-origin resource policy on /static)', async () => {
      const response = await fetch(`${api.url}/static/${modelId}.glb`);
      await response.arrayBuffer();
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
    });
  });
}
