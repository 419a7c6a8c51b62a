import assert from 'node:assert/strict';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { REPO_ROOT, SAMPLES_DIR } from '../support/env';
import { glbJson } from '../support/glb-models';
import { gltfErrors, gltfIssues, issuesAddedByOptimisation } from '../support/gltf';
import { followToEnd, getJson, modelIdIn, rawGet, sample, upload } from '../support/http-client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The whole path through HTTP with the real sidecar running the inflate engine. */
void describe('HTTP contract end to end (inflate engine)', () => {
  const api = useApi('e2e-contract', { env: { INFERENCE_ENGINE: 'inflate' } });
  const { logDir } = api;
  const completed: {
    taskId: string;
    modelId: string;
    modelUrl: string;
    downloadUrl: string;
    lodUrl: string;
  }[] = [];

  const samples = readdirSync(SAMPLES_DIR).filter((n) => /\.(png|jpe?g|webp)$/i.test(n));
  void it('has real samples to run', () => assert.ok(samples.length >= 3, SAMPLES_DIR));

  for (const name of samples) {
    void it(`${name} -> completed -> a GLB that glTF-Validator passes with zero errors`, async () => {
      const accepted = await upload<{
        success: boolean;
        task_id: string;
        status_url: string;
        watch_url: string;
        queue_position: number;
      }>(api.url, sample(name), { filename: name });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      assert.equal(accepted.body.success, true);
      assert.match(accepted.body.task_id, UUID);
      assert.equal(accepted.body.status_url, `${api.url}/api/status/${accepted.body.task_id}`);
      assert.equal(accepted.body.watch_url, `${api.url}/t/${accepted.body.task_id}`);
      assert.equal(typeof accepted.body.queue_position, 'number');
      const events = await followToEnd(api.url, accepted.body.task_id);
      const last = events[events.length - 1];
      assert.equal(last.event, 'completed', JSON.stringify(last));
      assert.equal(last.data['status'], 'completed');
      const modelUrl = String(last.data['model_url']);
      const downloadUrl = String(last.data['download_url']);
      const modelId = modelIdIn(modelUrl, downloadUrl, accepted.body.task_id);
      assert.equal(modelUrl, `${api.url}/static/${modelId}.glb`);
      // Issue 21: the small level of detail, named in the snapshot, beside the web model.
      const lodUrl = String(last.data['lod_url']);
      assert.equal(lodUrl, `${api.url}/static/${modelId}.lod.glb`);
      // The model's share page, on the api's origin, named by the model (not the task).
      assert.equal(last.data['share_url'], `${api.url}/m/${modelId}`);
      assert.ok(Number(last.data['generation_time']) > 0);
      const ids = events.map((e) => e.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'event ids increase',
      );
      const files: Uint8Array[] = [];
      for (const url of [modelUrl, downloadUrl, lodUrl]) {
        const response = await fetch(url);
        assert.equal(response.status, 200);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const errors = await gltfErrors(bytes);
        assert.equal(errors.count, 0, `${url}: ${errors.first.join('; ')}`);
        files.push(bytes);
      }
      // The web model is the optimised one; the validator cannot decode meshopt data, so its one
      // remark beyond the source's must be exactly that (an info, not an error or a warning).
      const [web, source, lod] = files;
      assert.ok(web.byteLength < source.byteLength, `web ${web.byteLength} < source ${source.byteLength}`);
      assert.ok(lod.byteLength < web.byteLength * 0.3, `LOD ${lod.byteLength} vs web ${web.byteLength}`);
      assert.deepEqual(
        issuesAddedByOptimisation((await gltfIssues(source)).issues, (await gltfIssues(lod)).issues),
        [['UNSUPPORTED_EXTENSION', 2, true]],
        'the LOD: meshopt data, nothing else the validator remarks on',
      );
      const declared = glbJson(web)['extensionsUsed'] as string[];
      for (const extension of ['EXT_meshopt_compression', 'KHR_mesh_quantization', 'EXT_texture_webp']) {
        assert.ok(declared.includes(extension), `${extension} in ${declared.join()}`);
      }
      assert.equal(glbJson(source)['extensionsUsed'], undefined, 'the source stays plain glTF');
      assert.deepEqual(
        issuesAddedByOptimisation((await gltfIssues(source)).issues, (await gltfIssues(web)).issues),
        [['UNSUPPORTED_EXTENSION', 2, true]],
      );
      completed.push({ taskId: accepted.body.task_id, modelId, modelUrl, downloadUrl, lodUrl });
    });
  }

  void it('GET /api/tasks/{id} gives the same snapshot as JSON', async () => {
    const { taskId, modelUrl } = completed[0];
    const task = await getJson(`${api.url}/api/tasks/${taskId}`);
    assert.equal(task.status, 200);
    assert.equal(task.body['status'], 'completed');
    assert.equal(task.body['model_url'], modelUrl);
    for (const field of ['error', 'error_code', 'http_status', 'cancelled'])
      assert.ok(!(field in task.body), field);
    const missing = await getJson(`${api.url}/api/tasks/6f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { success: false, error: 'Task not found', code: 'task_not_found' });
  });

  void it('serves models with the documented headers, ranges and revalidation', async () => {
    const { modelUrl, downloadUrl, lodUrl } = completed[0];
    for (const url of [modelUrl, downloadUrl, lodUrl]) {
      const response = await fetch(url);
      assert.equal(response.headers.get('content-type'), 'model/gltf-binary');
      assert.equal(response.headers.get('cache-control'), 'public, max-age=172800, immutable');
      assert.ok(response.headers.get('last-modified'));
      const etag = response.headers.get('etag');
      assert.ok(etag);
      await response.arrayBuffer();
      const range = await fetch(url, { headers: { Range: 'bytes=0-3' } });
      assert.equal(range.status, 206);
      assert.equal(Buffer.from(await range.arrayBuffer()).toString(), 'glTF');
      assert.equal((await rawGet(url, { 'If-None-Match': etag })).status, 304);
      const past = await fetch(url, { headers: { Range: 'bytes=999999999-' } });
      assert.equal(past.status, 416);
      assert.match(String(past.headers.get('content-range')), /^bytes \*\/\d+$/);
      assert.deepEqual(await past.json(), {
        success: false,
        error: 'Range not satisfiable',
        code: 'range_not_satisfiable',
      });
    }
    const head = await fetch(modelUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  void it('serves nothing else under /static: not other names, not folders, no traversal', async () => {
    const { taskId, modelId } = completed[0];
    const paths = [
      '/static/',
      '/static',
      `/static/${modelId}.gltf`,
      `/static/${modelId.toUpperCase()}.glb`,
      `/static/${modelId}`,
      `/static/${taskId}.glb`,
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e%2fpackage.json',
      `/static/..%2fstatic%2f${modelId}.glb`,
      '/static/.work',
      '/static/6f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb',
    ];
    for (const path of paths) {
      const response = await getJson(`${api.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(response.body, { success: false, error: 'Not found', code: 'not_found' }, path);
    }
  });

  void it('builds URLs from trusted forwarding headers (loopback proxy)', async () => {
    const accepted = await upload<{ status_url: string }>(api.url, sample(samples[0]), {});
    assert.equal(accepted.status, 202);
    const viaProxy = await getJson(`${api.url}/api/tasks/${completed[0].taskId}`, {
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'kiln.example.com' },
    });
    assert.equal(viaProxy.body['model_url'], `https://kiln.example.com/static/${completed[0].modelId}.glb`);
  });

  void it('health, config, docs, unknown routes and the missing web build', async () => {
    const health = await getJson<{
      status: string;
      redis: { up: boolean };
      inference: { engine: string; state: string };
    }>(`${api.url}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.redis.up, true);
    assert.equal(health.body.inference.engine, 'inflate');
    // Each worker is the object the OpenAPI document describes (HealthWorkerDto), every field of it.
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const workers = (health.body as unknown as { workers: Record<string, unknown>[] }).workers;
    assert.equal(workers.length, 1);
    assert.deepEqual(
      Object.keys(workers[0]).sort(),
      Object.keys(doc.components.schemas['HealthWorkerDto'].properties).sort(),
    );
    const config = await getJson(`${api.url}/api/config`);
    assert.deepEqual(config.body, {
      max_upload_mb: 10,
      max_mesh_mb: 50,
      texture_max_faces: 200_000,
      retention_hours: 48,
      job_timeout_s: 180,
      max_queue: 5,
      public_base_url: null,
    });
    const docs = await fetch(`${api.url}/api/docs`);
    assert.equal(docs.status, 200);
    await docs.arrayBuffer();
    const docsJson = await getJson<{ paths: Record<string, unknown> }>(`${api.url}/api/docs-json`);
    assert.ok(docsJson.body.paths['/api/generate']);
    const unknown = await getJson(`${api.url}/api/nope`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { success: false, error: 'Not found', code: 'not_found' });
    const root = await fetch(`${api.url}/m/${completed[0].taskId}`);
    assert.equal(root.status, 503);
    assert.deepEqual(await root.json(), {
      success: false,
      error: 'Web app not built',
      code: 'web_app_not_built',
    });
  });

  void it('logs to LOG_DIR/app.log: request received, inference start and end', () => {
    const log = readFileSync(realpathSync(join(logDir, 'app.log')), 'utf8');
    const { taskId } = completed[0];
    assert.match(log, new RegExp(`request received task=${taskId} bytes=\\d+ format=(png|jpeg|webp)`));
    assert.match(log, new RegExp(`inference start task=${taskId}`));
    assert.match(log, new RegExp(`inference end task=${taskId} duration=[\\d.]+s`));
    assert.match(log, /\[inference\]/, "the sidecar's own output is in the log too");
  });
});
