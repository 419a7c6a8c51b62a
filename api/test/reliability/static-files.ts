import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ErrorMessage } from '../../src/common/api-error';
import { type CategoryRun, Recorder, freshRedis, noUnexpected5xx, startSuiteApi } from './harness';
import { discPng } from './images';
import { imagePart, postMultipart } from './multipart';

/** A GET of exactly this path (node:http sends it as written: no normalising of dots or escapes). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Static files (issue 11): only {uuid}.glb and {uuid}.source.glb of a made model are served;
 * traversal in every spelling, other names, a symlink or a stray file placed in the model folder,
 * and directory listings get 404 `Not found` (a path whose percent-encoding is malformed: 400
 * `Bad request`), never a byte of another file.
 */
export const runStaticFiles: CategoryRun = async (ctx) => {
  const recorder = new Recorder('static files', ctx);
  const redis = await freshRedis();
  const suite = await startSuiteApi('static');
  const api = suite.api;
  try {
    const made = await postMultipart(api.url, [imagePart(await discPng())], {
      path: '/api/generate?wait=true',
    });
    assert.equal(made.status, 200, made.body);
    const taskId = String(made.json!['task_id']);
    recorder.admitted.add(taskId);
    // The files are named by the model's own id (the model URL's), never by the task id (issue 19).
    const id = /\/([0-9a-f-]{36})\.glb$/.exec(String(made.json!['model_url']))?.[1] ?? '';
    assert.ok(id !== '' && id !== taskId, String(made.json!['model_url']));
    // Planted in the model folder: a symlink and a plain file with model names, and a secret.
    const secret = 'kiln3d-secret-must-not-be-served';
    writeFileSync(join(suite.dir.path, 'secret.txt'), secret);
    const linked = randomUUID();
    symlinkSync(join(suite.dir.path, 'secret.txt'), join(suite.staticDir, `${linked}.glb`));
    const linkedDir = randomUUID();
    symlinkSync(suite.dir.path, join(suite.staticDir, linkedDir));
    const planted = [`${linked}.glb`, linkedDir];

    for (const path of [`/static/${id}.glb`, `/static/${id}.source.glb`]) {
      await recorder.check(`served: ${path.replace(id, '{id}')}`, api, async () => {
        const reply = await rawGet(api.url, path);
        assert.equal(reply.status, 200);
        assert.equal(reply.type, 'model/gltf-binary');
        assert.equal(reply.body.subarray(0, 4).toString('latin1'), 'glTF');
      });
    }
    const notFound = [
      '/static/',
      '/static',
      '/static/.',
      '/static/..',
      '/static/../package.json',
      '/static/..%2fpackage.json',
      '/static/..%2Fpackage.json',
      '/static/%2e%2e/package.json',
      '/static/%2e%2e%2fpackage.json',
      '/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/static/..%5cpackage.json',
      '/static/..\\package.json',
      '/static/%252e%252e%252fpackage.json',
      '/static/.%2e/.%2e/package.json',
      '/static/..%252f..%252fetc%252fpasswd',
      `/static/${id}.glb%00.png`,
      `/static/${id}.glb/`,
      `/static/${id}.glb/..`,
      `/static/${id}.GLB`,
      `/static/${id.toUpperCase()}.glb`,
      `/static/${id}`,
      `/static/${id}.gltf`,
      `/static/${id}.source.glb.partial`,
      `/static/.${id}.glb`,
      '/static/not-a-uuid.glb',
      '/static/00000000-0000-1000-8000-000000000000.glb',
      `/static/${randomUUID()}.glb`,
      `/static/${linked}.glb`,
      `/static/${linkedDir}`,
      `/static/${linkedDir}/secret.txt`,
      `/static/${linkedDir}%2fsecret.txt`,
      '/static/.work',
      '/static/%2e',
    ];
    for (const path of notFound) {
      await recorder.check(`404: ${path.replace(id, '{id}')}`, api, async () => {
        const reply = await rawGet(api.url, path);
        noUnexpected5xx(reply.status);
        assert.ok(!reply.body.includes(secret), 'the planted secret was served');
        assert.equal(reply.status, 404, `status ${reply.status}`);
        assert.deepEqual(JSON.parse(reply.body.toString()), {
          success: false,
          error: ErrorMessage.notFound,
          code: 'not_found',
        });
      });
    }
    for (const path of ['/static/%c0%ae%c0%ae/etc/passwd', '/static/%', '/static/%zz.glb']) {
      await recorder.check(`400 (malformed escape): ${path}`, api, async () => {
        const reply = await rawGet(api.url, path);
        noUnexpected5xx(reply.status);
        assert.ok(!reply.body.includes(secret), 'the planted secret was served');
        assert.ok(reply.status === 400 || reply.status === 404, `status ${reply.status}`);
        const expected =
          reply.status === 400
            ? { success: false, error: ErrorMessage.badRequest, code: 'bad_request' }
            : { success: false, error: ErrorMessage.notFound, code: 'not_found' };
        assert.deepEqual(JSON.parse(reply.body.toString()), expected);
      });
    }
    await recorder.settle(api, suite, 30_000);
    await api.stop();
    recorder.checkFiles(suite);
    // The planted files are the test's own, not the api's.
    recorder.report.strayFiles = recorder.report.strayFiles.filter(
      (f) => !planted.some((p) => f === `static/${p}` || f.startsWith(`static/${p}/`)),
    );
  } finally {
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};
