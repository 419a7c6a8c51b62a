/**
 * End to end: POST /api/texture on the built api with the real mesh intake tool (a process per
 * upload) and a real sidecar over gRPC. On inflate: a GLB under a node transform, an OBJ and a
 * PLY come back painted with their own triangles at their own place and scale (glTF-Validator:
 * zero errors); every documented refusal, with nothing left behind (no task, no Redis key, no
 * temporary file). On simulate: texture jobs share the one queue, its FIFO order and its capacity
 * with generations, and a queued texturing task is cancelled by its maker's token only.
 * How the texture matches the picture is inference/tests' (the engine's own seam).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { useApi } from '../support/api-process';
import { TEST_REDIS_URL, tempDir } from '../support/env';
import { summariseGlb } from '../support/glb-models';
import { gltfErrors } from '../support/gltf';
import { cancelTask, followToEnd, getJson, postPicture, postTexture, sample } from '../support/http-client';
import {
  editGlbJson,
  meshBounds,
  meshGlb,
  meshObj,
  meshPly,
  triangleCount,
  uvSphere,
} from '../support/meshes';

const PNG = sample('typical_misc_lantern.png');
const SPHERE = uvSphere(1, 32, 16);
const PLACE = { scale: 2.5, translation: [10, -3, 4] as [number, number, number] };

interface Accepted {
  task_id: string;
  task_token: string;
  queue_position: number;
}

/** Each axis of `actual` within `tolerance` of the expected box's largest extent. */
function assertBoundsMatch(
  actual: { min: number[]; max: number[] },
  expected: { min: number[]; max: number[] },
): void {
  const extent = Math.max(...expected.max.map((v, i) => v - expected.min[i]));
  for (let axis = 0; axis < 3; axis++) {
    for (const [got, want] of [
      [actual.min[axis], expected.min[axis]],
      [actual.max[axis], expected.max[axis]],
    ]) {
      assert.ok(
        Math.abs(got - want) <= 0.005 * extent,
        `axis ${axis}: ${got} vs ${want} (extent ${extent}): ${JSON.stringify({ actual, expected })}`,
      );
    }
  }
}

/** Keys of the test database under the project's prefix. */
async function kilnKeys(pattern: string): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return await redis.keys(`${RedisKeys.prefix}${pattern}`);
  } finally {
    redis.disconnect();
  }
}

void describe('texturing end to end (inflate engine, the real mesh intake tool)', () => {
  const scratch = tempDir('e2e-texture-tmp');
  after(() => scratch.remove());
  const api = useApi('e2e-texture', {
    env: {
      INFERENCE_ENGINE: 'inflate',
      TEXTURE_MAX_FACES: '2000',
      MAX_MESH_MB: '1',
      // The intake's temporary folders: checked empty after every refusal.
      TMPDIR: scratch.path,
    },
  });

  void it('paints a GLB under a node transform: same triangles, same place and scale, valid glTF', async () => {
    const made = await postTexture<Accepted>(
      api.url,
      { mesh: await meshGlb(SPHERE, PLACE), image: PNG },
      { texture_size: '1024' },
    );
    assert.equal(made.status, 202, JSON.stringify(made.body));
    assert.match(made.body.task_token, /^[\w-]{43}$/);
    const events = await followToEnd(api.url, made.body.task_id, 180_000);
    const done = events.at(-1)!.data;
    assert.equal(done['status'], 'completed', JSON.stringify(done));
    assert.equal(done['kind'], 'texture');
    assert.equal(done['engine'], 'inflate');
    assert.equal(done['triangles'], triangleCount(SPHERE));
    assert.deepEqual(done['options'], { seed: 42, texture_size: 1024, texture_resolution: 1024, units: 'm' });
    assert.ok((done['ignored_options'] as string[]).includes('texture_resolution'), JSON.stringify(done));
    const stages = new Set(events.map((event) => event.data['stage'] as string | undefined));
    assert.ok(stages.has('texture'), `stages ${JSON.stringify([...stages])}`);

    for (const url of [String(done['download_url']), String(done['model_url'])]) {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const errors = await gltfErrors(bytes);
      assert.equal(errors.count, 0, `${url}: ${errors.first.join('; ')}`);
      const summary = await summariseGlb(bytes);
      assertBoundsMatch(summary, meshBounds(SPHERE, PLACE));
      assert.ok(summary.textures.length >= 1, `${url} has no texture`);
      if (url === done['download_url']) assert.equal(summary.triangles, triangleCount(SPHERE));
    }
    // Every format of a generation's model is a texturing's too (the formats tool reads its GLB).
    const stl = await fetch(`${api.url}/api/tasks/${made.body.task_id}/download?format=stl`);
    assert.equal(stl.status, 200, await stl.clone().text());
    assert.equal(Buffer.from(await stl.arrayBuffer()).readUInt32LE(80), triangleCount(SPHERE));
  });

  void it('paints an OBJ, and takes a PLY (judged by content, whatever their names)', async () => {
    const obj = await postTexture<Accepted>(api.url, {
      mesh: meshObj(SPHERE),
      image: PNG,
      meshName: 'sphere.obj',
    });
    assert.equal(obj.status, 202, JSON.stringify(obj.body));
    // The PLY's job would be the same canonical mesh's: accepted, then cancelled by its maker.
    const ply = await postTexture<Accepted>(api.url, {
      mesh: meshPly(SPHERE),
      image: PNG,
      meshName: 'sphere.bin',
    });
    assert.equal(ply.status, 202, JSON.stringify(ply.body));
    assert.equal((await cancelTask(api.url, ply.body)).status, 200);
    const done = (await followToEnd(api.url, obj.body.task_id, 180_000)).at(-1)!.data;
    assert.equal(done['status'], 'completed', JSON.stringify(done));
    assert.equal(done['triangles'], triangleCount(SPHERE));
    const bytes = new Uint8Array(await (await fetch(String(done['download_url']))).arrayBuffer());
    assertBoundsMatch(await summariseGlb(bytes), meshBounds(SPHERE));
  });

  void it('refuses every bad input with its documented status and code, and keeps nothing of it', async () => {
    const glb = await meshGlb(SPHERE);
    const cases: {
      name: string;
      files: Parameters<typeof postTexture>[1];
      fields?: Record<string, string>;
      status: number;
      code: string;
      error?: string | RegExp;
    }[] = [
      {
        name: 'no mesh',
        files: { image: PNG },
        status: 400,
        code: 'missing_mesh',
        error: 'Missing file field "mesh"',
      },
      { name: 'no picture', files: { mesh: glb }, status: 400, code: 'missing_image' },
      {
        name: 'a PNG named .obj',
        files: { mesh: PNG, image: PNG, meshName: 'model.obj' },
        status: 400,
        code: 'unsupported_mesh',
        error: 'Unsupported mesh format, send GLB, OBJ or PLY',
      },
      {
        name: 'text that is no OBJ',
        files: { mesh: Buffer.from('hello\nworld\n'), image: PNG, meshName: 'a.obj' },
        status: 400,
        code: 'unsupported_mesh',
      },
      {
        name: 'a truncated GLB',
        files: { mesh: glb.subarray(0, glb.length - 100), image: PNG },
        status: 400,
        code: 'unsupported_mesh',
      },
      {
        name: 'a mesh over MAX_MESH_MB',
        files: { mesh: Buffer.alloc(1_200_000, 0x20), image: PNG },
        status: 413,
        code: 'mesh_too_large',
        error: 'Mesh too large, max 1MB',
      },
      {
        name: 'a PLY point cloud',
        files: { mesh: meshPly(SPHERE, { faces: false }), image: PNG, meshName: 'cloud.ply' },
        status: 422,
        code: 'mesh_no_faces',
        error: 'The mesh has no faces',
      },
      {
        name: 'a GLB of points',
        files: { mesh: await meshGlb(SPHERE, { points: true }), image: PNG },
        status: 422,
        code: 'mesh_no_faces',
      },
      {
        name: 'a NaN vertex',
        files: {
          mesh: Buffer.from('v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n'),
          image: PNG,
          meshName: 'nan.obj',
        },
        status: 422,
        code: 'mesh_not_finite',
        error: 'The mesh has NaN or infinite vertex positions',
      },
      {
        name: 'too many faces',
        files: { mesh: await meshGlb(uvSphere(1, 64, 32)), image: PNG },
        status: 422,
        code: 'mesh_too_many_faces',
        error: `The mesh has ${2 * 64 * 31} faces, max 2000`,
      },
      {
        name: 'a Draco GLB',
        files: {
          mesh: editGlbJson(glb, (json) => {
            json['extensionsUsed'] = ['KHR_draco_mesh_compression'];
            json['extensionsRequired'] = ['KHR_draco_mesh_compression'];
          }),
          image: PNG,
        },
        status: 422,
        code: 'mesh_compressed',
        error: 'Compressed GLB (KHR_draco_mesh_compression) not supported, export it without compression',
      },
      {
        name: 'a meshopt GLB',
        files: {
          mesh: editGlbJson(glb, (json) => {
            json['extensionsUsed'] = ['EXT_meshopt_compression'];
            json['extensionsRequired'] = ['EXT_meshopt_compression'];
          }),
          image: PNG,
        },
        status: 422,
        code: 'mesh_compressed',
      },
      {
        // A bomb: 2^30 vertices claimed over a few kilobytes; refused before anything is allocated.
        name: 'an accessor claiming far more than its buffer',
        files: {
          mesh: editGlbJson(glb, (json) => {
            (json['accessors'] as Record<string, unknown>[])[0]['count'] = 2 ** 30;
          }),
          image: PNG,
        },
        status: 400,
        code: 'unsupported_mesh',
      },
      {
        name: 'a bad texture_resolution',
        files: { mesh: glb, image: PNG },
        fields: { texture_resolution: '768' },
        status: 400,
        code: 'invalid_option',
        error: 'Invalid texture_resolution: one of 512, 1024',
      },
    ];
    for (const c of cases) {
      const started = Date.now();
      const answer = await postTexture(api.url, c.files, c.fields);
      assert.equal(answer.status, c.status, `${c.name}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body['code'], c.code, c.name);
      assert.equal(answer.body['success'], false, c.name);
      if (typeof c.error === 'string') assert.equal(answer.body['error'], c.error, c.name);
      assert.ok(Date.now() - started < 20_000, `${c.name} took ${Date.now() - started} ms`);
    }
    // A file in a third field.
    const form = new FormData();
    form.append('mesh', new Blob([glb]), 'mesh.glb');
    form.append('image', new Blob([PNG]), 'a.png');
    form.append('extra', new Blob([PNG]), 'b.png');
    const third = await fetch(`${api.url}/api/texture`, { method: 'POST', body: form });
    assert.equal(third.status, 400);
    assert.deepEqual(await third.json(), {
      success: false,
      error: 'Send one file in "mesh" and one in "image"',
      code: 'unexpected_mesh_file',
    });
    // Nothing kept: the earlier tests' three tasks only, no picture or mesh waiting, no temporary file.
    assert.equal((await kilnKeys('task:*')).length, 3);
    assert.deepEqual(await kilnKeys('image:*'), []);
    assert.deepEqual(
      readdirSync(api.env['TMPDIR']).filter((name) => name.startsWith('kiln3d-mesh-')),
      [],
    );
  });

  void it('says in /api/health how this engine paints a mesh', async () => {
    const health = await getJson<{ inference: { texturing?: string } }>(`${api.url}/api/health`);
    assert.match(String(health.body.inference.texturing), /projection/i);
  });
});

void describe('texture jobs share the one queue with generations (simulate engine)', () => {
  const api = useApi('e2e-texture-queue', {
    // No wait for a mesh intake slot: the second of two meshes sent at once is refused.
    env: { SIMULATE_SECONDS: '8', MAX_QUEUE: '3', MESH_INTAKE_WAIT_S: '0' },
  });

  void it('one FIFO order and one capacity for both kinds; a queued texturing task is cancelled by its maker only', async () => {
    const glb = await meshGlb(SPHERE);
    const generate = async (): Promise<Accepted> => {
      const response = await postPicture(api.url, PNG);
      assert.equal(response.status, 202);
      return (await response.json()) as Accepted;
    };
    const texture = async (): Promise<Accepted> => {
      const made = await postTexture<Accepted>(api.url, { mesh: glb, image: PNG });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      return made.body;
    };
    const a = await generate();
    const b = await texture();
    const c = await generate();
    const d = await texture();
    // One running, three waiting: full for either kind.
    const full = await postTexture(api.url, { mesh: glb, image: PNG });
    assert.equal(full.status, 503, JSON.stringify(full.body));
    assert.equal(full.body['code'], 'server_busy');
    assert.ok(Number(full.headers.get('retry-after')) >= 1);

    const queued = await getJson(`${api.url}/api/tasks/${d.task_id}`);
    assert.equal(queued.body['kind'], 'texture');
    assert.equal(queued.body['status'], 'queued');
    assert.equal((await kilnKeys(`image:${d.task_id}:mesh`)).length, 1, 'the queued mesh is kept');
    // A stranger's token (another task's) cancels nothing.
    const stranger = await fetch(`${api.url}/api/tasks/${d.task_id}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': b.task_token },
    });
    assert.equal(stranger.status, 403);
    assert.equal(((await stranger.json()) as { code: string }).code, 'task_token_required');
    const cancelled = await cancelTask(api.url, d);
    assert.equal(cancelled.status, 200, await cancelled.text());
    assert.deepEqual(await kilnKeys(`image:${d.task_id}*`), [], 'its picture and mesh went with it');

    const finals = await Promise.all(
      [a, b, c].map(async (task) => (await followToEnd(api.url, task.task_id)).at(-1)!.data),
    );
    for (const record of finals) assert.equal(record['status'], 'completed', JSON.stringify(record));
    assert.deepEqual(
      finals.map((record) => record['kind']),
      ['generate', 'texture', 'generate'],
    );
    const started = finals.map((record) => Date.parse(String(record['started_at'])));
    assert.ok(started[0] < started[1] && started[1] < started[2], `FIFO: ${started.join(', ')}`);
    assert.equal(finals[1]['triangles'], triangleCount(SPHERE));
  });

  void it('reads one mesh at a time per process: a second sent meanwhile gets 503 meshes_busy with Retry-After', async () => {
    const glb = await meshGlb(SPHERE);
    const answers = await Promise.all([0, 1].map(() => postTexture(api.url, { mesh: glb, image: PNG })));
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [202, 503], JSON.stringify(answers.map((answer) => answer.body)));
    const busy = answers.find((answer) => answer.status === 503)!;
    assert.deepEqual(busy.body, {
      success: false,
      error: 'Busy reading other meshes, retry later',
      code: 'meshes_busy',
    });
    assert.equal(busy.headers.get('retry-after'), '1');
  });
});
