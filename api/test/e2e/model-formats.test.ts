/**
 * End to end: the built api with a real inflate sidecar makes a model, then hands it out in every
 * format through the real formats tool (python -m kiln3d_inference.formats, a process per file):
 * each file's type, name and first bytes; the printing formats' size and watertightness; one build
 * for concurrent requests; the snapshot's formats and watertight; and the documented refusals.
 * How faithful each file is (bounding box, triangles, texture, read by Blender, lib3mf and
 * usd-core) is inference/tests/test_formats_*.py's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { cancelTask, followToEnd, getJson, sample, upload } from '../support/http-client';

const PNG = 'typical_misc_lantern.png';

/** Magic bytes of each format's file (a zip for obj, 3mf and usdz). */
const MAGIC: Record<string, string> = {
  glb: 'glTF',
  obj: 'PK\u0003\u0004',
  '3mf': 'PK\u0003\u0004',
  usdz: 'PK\u0003\u0004',
  ply: 'ply\n',
};

const TYPES: Record<string, string> = {
  glb: 'model/gltf-binary',
  obj: 'application/zip',
  stl: 'model/stl',
  '3mf': 'model/3mf',
  ply: 'application/vnd.ply',
  usdz: 'model/vnd.usdz+zip',
};

void describe('model formats end to end (inflate engine, the real formats tool)', () => {
  const api = useApi('e2e-formats', { env: { INFERENCE_ENGINE: 'inflate' } });
  let taskId = '';
  let modelId = '';
  let triangles = 0;

  void it('a completed snapshot offers every format; each download is the right file', async () => {
    const made = await upload<{ task_id: string }>(api.url, sample(PNG));
    assert.equal(made.status, 202, JSON.stringify(made.body));
    taskId = made.body.task_id;
    const events = await followToEnd(api.url, taskId, 180_000);
    const done = events.at(-1)!.data;
    assert.equal(done['status'], 'completed', JSON.stringify(done));
    triangles = Number(done['triangles']);
    modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(String(done['model_url']))![1];
    assert.deepEqual(done['formats'], [
      ...['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'].map((format) => ({
        format,
        url: `${api.url}/api/tasks/${taskId}/download?format=${format}`,
      })),
    ]);
    assert.equal(done['watertight'], undefined, 'not known before a format measured it');

    for (const format of ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz']) {
      const response = await fetch(`${api.url}/api/tasks/${taskId}/download?format=${format}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      assert.equal(response.status, 200, `${format}: ${bytes.toString().slice(0, 300)}`);
      assert.equal(response.headers.get('content-type'), TYPES[format], format);
      const ext =
        format === 'obj'
          ? '-obj.zip'
          : format === 'stl' || format === '3mf'
            ? `-100mm.${format}`
            : `.${format}`;
      assert.equal(
        response.headers.get('content-disposition'),
        `attachment; filename=kiln3d-${modelId.slice(0, 8)}${ext}`,
        format,
      );
      assert.equal(Number(response.headers.get('content-length')), bytes.length, format);
      if (format === 'stl') {
        // Binary STL: an 80-byte header, the triangle count, 50 bytes per triangle.
        assert.equal(bytes.readUInt32LE(80), triangles);
        assert.equal(bytes.length, 84 + 50 * triangles);
        assert.equal(response.headers.get('x-mesh-watertight'), 'true', 'an inflate relief is closed');
      } else {
        assert.equal(bytes.subarray(0, MAGIC[format].length).toString('latin1'), MAGIC[format], format);
      }
      if (format === '3mf') assert.equal(response.headers.get('x-mesh-watertight'), 'true');
      if (format !== 'stl' && format !== '3mf') assert.equal(response.headers.get('x-mesh-watertight'), null);
    }

    // The task now says what the printing formats measured; the list knows every file's bytes.
    const snapshot = (await getJson(`${api.url}/api/tasks/${taskId}`)).body;
    assert.equal(snapshot['watertight'], true);
    const list = (
      await getJson<{ formats: Record<string, unknown>[]; watertight: boolean }>(
        `${api.url}/api/models/${modelId}/formats`,
      )
    ).body;
    assert.equal(list.watertight, true);
    for (const entry of list.formats) {
      assert.equal(entry['state'], 'ready', JSON.stringify(entry));
      assert.ok(Number(entry['bytes']) > 0, JSON.stringify(entry));
    }
    assert.deepEqual(
      list.formats.map((entry) => [entry['format'], entry['size_mm']]),
      [
        ['glb', undefined],
        ['obj', undefined],
        ['stl', 100],
        ['3mf', 100],
        ['ply', undefined],
        ['usdz', undefined],
      ],
    );
  });

  void it('makes a file once for concurrent requests, by task and by model id, at another size', async () => {
    const urls = [
      ...Array.from({ length: 3 }, () => `${api.url}/api/tasks/${taskId}/download?format=stl&size_mm=250`),
      ...Array.from({ length: 3 }, () => `${api.url}/api/models/${modelId}/download?format=stl&size_mm=250`),
    ];
    const answers = await Promise.all(urls.map((url) => fetch(url)));
    const bodies = await Promise.all(answers.map(async (r) => Buffer.from(await r.arrayBuffer())));
    for (const [i, response] of answers.entries()) {
      assert.equal(response.status, 200);
      assert.equal(bodies[i].length, 84 + 50 * triangles);
      assert.ok(bodies[i].equals(bodies[0]));
      assert.match(response.headers.get('content-disposition') ?? '', /-250mm\.stl$/);
    }
    const builds = api.output().match(/made stl@250 of model/g) ?? [];
    assert.equal(builds.length, 1, 'one build for six requests');
  });

  void it('answers the documented refusals, and serves no format file at /static/', async () => {
    const expect = async (path: string, status: number, code: string, error: string): Promise<void> => {
      const response = await getJson(`${api.url}${path}`);
      assert.equal(response.status, status, `${path}: ${JSON.stringify(response.body)}`);
      assert.deepEqual(response.body, { success: false, error, code }, path);
    };
    const formats = 'Invalid format: one of glb, obj, stl, 3mf, ply, usdz';
    const sizes = 'Invalid size_mm: a whole number of millimetres from 10 to 1000, for stl and 3mf only';
    await expect(`/api/tasks/${taskId}/download?format=fbx`, 400, 'invalid_option', formats);
    await expect(`/api/tasks/${taskId}/download?format=stl&format=obj`, 400, 'invalid_option', formats);
    await expect(`/api/tasks/${taskId}/download?format=stl&size_mm=5000`, 400, 'invalid_option', sizes);
    await expect(`/api/models/${modelId}/download?format=obj&size_mm=100`, 400, 'invalid_option', sizes);
    await expect(
      `/api/tasks/1b4e28ba-2fa1-41d2-883f-0016d3cca427/download?format=stl`,
      404,
      'task_not_found',
      'Task not found',
    );
    await expect(
      `/api/models/1b4e28ba-2fa1-41d2-883f-0016d3cca427/download?format=stl`,
      404,
      'not_found',
      'Not found',
    );
    await expect(`/api/models/1b4e28ba-2fa1-41d2-883f-0016d3cca427/formats`, 404, 'not_found', 'Not found');
    await expect(`/api/models/not-a-model/formats`, 404, 'not_found', 'Not found');
    await expect(`/static/${modelId}.100mm.stl`, 404, 'not_found', 'Not found');

    // A task with no model: 409 naming its status (a cancelled one ends failed).
    const made = await upload<{ task_id: string }>(api.url, sample(PNG));
    assert.equal(made.status, 202);
    assert.equal((await cancelTask(api.url, made.body.task_id)).status, 200);
    const unfinished = await getJson(`${api.url}/api/tasks/${made.body.task_id}/download?format=stl`);
    assert.equal(unfinished.status, 409);
    assert.deepEqual(unfinished.body, {
      success: false,
      error: 'Task not completed: failed',
      code: 'task_not_completed',
    });
  });
});
