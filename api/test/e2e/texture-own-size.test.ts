/**
 * End to end: a painted mesh keeps its real size in every download (the built api, a real inflate
 * sidecar, the real mesh intake and formats tools). A user trial found a GLB box of 0.020 x 0.040 x
 * 0.015 m (a 40 mm part in glTF's metres) printed 50 x 37.5 x 100 mm, and a mesh authored in
 * millimetres declared 1 m per unit in its USDZ. Here: with POST /api/texture's `units` (default m),
 * the STL and 3MF without size_mm are the part's own size in millimetres (40 mm tall, a 20 x 15 mm
 * footprint, Z up, centred, on z = 0), size_mm still rescales, the USDZ declares the unit, the GLB
 * keeps its coordinates (glTF-Validator: zero errors) and the formats list says its unit, and a bad
 * unit is 400 before any slot.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { useApi } from '../support/api-process';
import { TEST_REDIS_URL } from '../support/env';
import { summariseGlb } from '../support/glb-models';
import { gltfErrors } from '../support/gltf';
import { followToEnd, getJson, postTexture, sample } from '../support/http-client';
import { box, meshGlb, meshObj } from '../support/meshes';
import { type Bounds, extentOf, stlBounds, threeMfFacts, usdzFacts } from '../support/print-files';

const PNG = sample('typical_misc_lantern.png');
/** The part in glTF's axes (x across, y up, z towards the viewer), away from the origin. */
const PART_MM: [number, number, number] = [20, 40, 15];
const CENTRE_MM: [number, number, number] = [300, 120, -80];
/** Printed Z up: glTF's y becomes z, its z becomes -y (a 20 x 15 mm footprint, 40 mm tall). */
const PRINTED_MM = [20, 15, 40];

interface Accepted {
  task_id: string;
}

/** A box printed at `extent` (x, y, z mm): centred on x = y = 0 and resting on z = 0, to 0.01 mm. */
function assertPrinted(bounds: Bounds, extent: number[], what: string): void {
  const got = extentOf(bounds);
  for (let axis = 0; axis < 3; axis++) {
    assert.ok(
      Math.abs(got[axis] - extent[axis]) < 0.01,
      `${what}: extent ${got.join(' x ')} mm, not ${extent.join(' x ')}`,
    );
  }
  assert.ok(
    Math.abs(bounds.min[0] + bounds.max[0]) < 0.01,
    `${what}: not centred on x (${JSON.stringify(bounds)})`,
  );
  assert.ok(
    Math.abs(bounds.min[1] + bounds.max[1]) < 0.01,
    `${what}: not centred on y (${JSON.stringify(bounds)})`,
  );
  assert.ok(Math.abs(bounds.min[2]) < 0.01, `${what}: not on z = 0 (${JSON.stringify(bounds)})`);
}

async function download(url: string): Promise<{ response: Response; bytes: Buffer }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, `${url}: ${bytes.toString().slice(0, 300)}`);
  return { response, bytes };
}

/** Paints `mesh` (units as sent) and follows it to its end; the completed snapshot and model id. */
async function paint(
  baseUrl: string,
  files: { mesh: Buffer; meshName?: string },
  fields: Record<string, string>,
): Promise<{ done: Record<string, unknown>; taskId: string; modelId: string }> {
  const made = await postTexture<Accepted>(baseUrl, { ...files, image: PNG }, fields);
  assert.equal(made.status, 202, JSON.stringify(made.body));
  const done = (await followToEnd(baseUrl, made.body.task_id, 180_000)).at(-1)!.data;
  assert.equal(done['status'], 'completed', JSON.stringify(done));
  const modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(String(done['model_url']))![1];
  return { done, taskId: made.body.task_id, modelId };
}

void describe("a painted mesh's own size in its downloads (inflate engine, the real formats tool)", () => {
  const api = useApi('e2e-texture-own-size', {
    env: { INFERENCE_ENGINE: 'inflate', TEXTURE_MAX_FACES: '2000' },
  });
  const redis = new Redis(TEST_REDIS_URL);
  after(() => redis.disconnect());

  void it('a GLB in metres (no units sent: m) prints at 40 mm, not 100; size_mm still rescales', async () => {
    const metres = box(
      PART_MM.map((side) => side / 1000) as [number, number, number],
      CENTRE_MM.map((at) => at / 1000) as [number, number, number],
    );
    const { done, taskId, modelId } = await paint(api.url, { mesh: await meshGlb(metres) }, {});
    assert.deepEqual(done['options'], { seed: 42, texture_size: 2048, texture_resolution: 1024, units: 'm' });

    // The GLB keeps the mesh's coordinates (metres, its own place), and is valid glTF.
    const glb = await download(String(done['download_url']));
    const errors = await gltfErrors(new Uint8Array(glb.bytes));
    assert.equal(errors.count, 0, errors.first.join('; '));
    const summary = await summariseGlb(new Uint8Array(glb.bytes));
    for (let axis = 0; axis < 3; axis++) {
      const side = summary.max[axis] - summary.min[axis];
      assert.ok(Math.abs(side - PART_MM[axis] / 1000) < 1e-6, `GLB axis ${axis}: ${side} m`);
    }

    const stl = await download(`${api.url}/api/tasks/${taskId}/download?format=stl`);
    assertPrinted(stlBounds(stl.bytes), PRINTED_MM, 'STL at its own size');
    // No size in the name: the file is at the size the mesh was drawn.
    assert.equal(
      stl.response.headers.get('content-disposition'),
      `attachment; filename=kiln3d-${modelId.slice(0, 8)}.stl`,
    );
    const threeMf = await download(`${api.url}/api/models/${modelId}/download?format=3mf`);
    const facts = threeMfFacts(threeMf.bytes);
    assert.equal(facts.unit, 'millimeter');
    assertPrinted(facts.bounds, PRINTED_MM, '3MF at its own size');

    const sized = await download(`${api.url}/api/tasks/${taskId}/download?format=stl&size_mm=100`);
    assertPrinted(stlBounds(sized.bytes), [50, 37.5, 100], 'STL at size_mm=100');
    assert.match(sized.response.headers.get('content-disposition') ?? '', /-100mm\.stl$/);

    const usdz = await usdzFacts(
      (await download(`${api.url}/api/tasks/${taskId}/download?format=usdz`)).bytes,
    );
    assert.equal(usdz.metersPerUnit, 1);

    // The list says what a download without size_mm is: the own size, 40 mm.
    const list = (
      await getJson<{ units?: string; formats: Record<string, unknown>[] }>(
        `${api.url}/api/models/${modelId}/formats`,
      )
    ).body;
    assert.equal(list.units, 'm');
    assert.equal(
      list.formats.find((entry) => entry['format'] === 'glb')?.['description'],
      "the engine's original glTF binary (metres, Y up), for editing tools",
    );
    const printing = list.formats.filter((entry) => entry['format'] === 'stl' || entry['format'] === '3mf');
    assert.deepEqual(
      printing.map((entry) => [entry['format'], entry['size_mm'], entry['own_size'], entry['state']]),
      [
        ['stl', 40, true, 'ready'],
        ['3mf', 40, true, 'ready'],
      ],
    );
    assert.equal(await redis.exists(RedisKeys.modelOwnSize(modelId)), 1);
  });

  void it('an OBJ in millimetres (units=mm) prints at 40 mm and says 0.001 m per unit in its USDZ', async () => {
    const millimetres = box(PART_MM, CENTRE_MM);
    const { done, taskId, modelId } = await paint(
      api.url,
      { mesh: meshObj(millimetres), meshName: 'part.obj' },
      { units: 'mm' },
    );
    assert.equal((done['options'] as Record<string, unknown>)['units'], 'mm');

    const stl = await download(`${api.url}/api/models/${modelId}/download?format=stl`);
    assertPrinted(stlBounds(stl.bytes), PRINTED_MM, 'STL at its own size');
    const threeMf = threeMfFacts(
      (await download(`${api.url}/api/tasks/${taskId}/download?format=3mf`)).bytes,
    );
    assert.equal(threeMf.unit, 'millimeter');
    assertPrinted(threeMf.bounds, PRINTED_MM, '3MF at its own size');
    const sized = threeMfFacts(
      (await download(`${api.url}/api/tasks/${taskId}/download?format=3mf&size_mm=80`)).bytes,
    );
    assertPrinted(sized.bounds, [40, 30, 80], '3MF at size_mm=80');

    // AR Quick Look: 40 units of 1 mm, not 40 m.
    const usdz = await usdzFacts(
      (await download(`${api.url}/api/tasks/${taskId}/download?format=usdz`)).bytes,
    );
    assert.equal(usdz.metersPerUnit, 0.001);
    for (let axis = 0; axis < 3; axis++) {
      assert.ok(Math.abs(usdz.extent[axis] - PART_MM[axis]) < 1e-3, `USDZ extent ${usdz.extent.join(' x ')}`);
    }
    // The list says the files that keep the mesh's coordinates are in millimetres, not metres.
    const list = (
      await getJson<{ units?: string; formats: { format: string; description: string }[] }>(
        `${api.url}/api/models/${modelId}/formats`,
      )
    ).body;
    assert.equal(list.units, 'mm');
    const said = Object.fromEntries(list.formats.map((entry) => [entry.format, entry.description]));
    for (const format of ['glb', 'obj', 'ply', 'usdz']) {
      assert.match(said[format], /\(millimetres, Y up/, `${format}: ${said[format]}`);
    }
    // The GLB keeps the coordinates as drawn (glTF-Validator: zero errors).
    const glb = new Uint8Array((await download(String(done['download_url']))).bytes);
    assert.equal((await gltfErrors(glb)).count, 0);
    const summary = await summariseGlb(glb);
    assert.ok(Math.abs(summary.max[1] - summary.min[1] - 40) < 1e-4, JSON.stringify(summary));
  });

  void it('refuses a unit it does not know with 400 invalid_option, before any queue slot', async () => {
    const tasksBefore = (await redis.keys(`${RedisKeys.taskPrefix}*`)).length;
    for (const units of ['ft', 'MM', 'metres']) {
      const answer = await postTexture(api.url, { mesh: await meshGlb(box(PART_MM)), image: PNG }, { units });
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {
        success: false,
        error: 'Invalid units: one of m, cm, mm, in',
        code: 'invalid_option',
      });
    }
    assert.equal((await redis.keys(`${RedisKeys.taskPrefix}*`)).length, tasksBefore, 'no task made');
    assert.equal(await redis.zcard(RedisKeys.admission), 0, 'no slot held');
  });
});
