import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../support/env';
import { postTexture, sample } from '../support/http-client';
import { editGlbJson, meshGlb, uvSphere } from '../support/meshes';
import { attackVolume, useSecurityApi } from './support';

/**
 * Mesh uploads (docs/design.md, Texturing): POST /api/texture runs a mesh intake process per
 * upload, so a stranger's meshes must neither run more than MESH_INTAKES of them at once, nor
 * leave a temporary file or a stored mesh behind when refused, nor allocate what a hostile GLB
 * claims. MESH_INTAKE_WAIT_S=0 answers a waiting upload at once; TMPDIR is the test's own, to
 * see the intake's temporary folders.
 */
void describe('security: mesh uploads (MESH_INTAKES=1, MESH_INTAKE_WAIT_S=0)', () => {
  const scratch = tempDir('security-mesh-tmp');
  const tmp = join(scratch.path, 'tmp');
  mkdirSync(tmp);
  after(() => scratch.remove());
  const api = useSecurityApi('meshes', { MESH_INTAKE_WAIT_S: '0', TMPDIR: tmp, TEXTURE_MAX_FACES: '5000' });
  const png = sample('typical_misc_lantern.png');
  let sphere: Buffer;
  before(async () => {
    sphere = await meshGlb(uvSphere(1, 32, 16));
  });

  void it('attack: ten meshes at once -> one intake runs, the rest 503 meshes_busy with Retry-After; nothing left in the temporary folder', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => postTexture(api().url, { mesh: sphere, image: png })),
    );
    const statuses = replies.map((reply) => reply.status);
    assert.equal(statuses.filter((s) => s === 202).length, 1, statuses.join(' '));
    for (const reply of replies.filter((r) => r.status !== 202)) {
      assert.equal(reply.status, 503, JSON.stringify(reply.body));
      assert.equal(reply.body['code'], 'meshes_busy');
      assert.equal(reply.headers.get('retry-after'), '1');
    }
    assert.deepEqual(readdirSync(tmp), []);
  });

  void it('attack: GLBs that claim what they do not hold (a huge accessor, a bogus buffer length, a view past the end) -> 400 at once, never allocated, nothing kept', async () => {
    const bombs = [
      editGlbJson(sphere, (json) => {
        (json['accessors'] as Record<string, unknown>[])[0]['count'] = 2 ** 31 - 1;
      }),
      editGlbJson(sphere, (json) => {
        (json['buffers'] as Record<string, unknown>[])[0]['byteLength'] = 2 ** 40;
      }),
      editGlbJson(sphere, (json) => {
        (json['bufferViews'] as Record<string, unknown>[])[0]['byteOffset'] = 2 ** 30;
      }),
    ];
    for (let round = 0; round < attackVolume(1, 5); round++) {
      for (const [index, bomb] of bombs.entries()) {
        const started = Date.now();
        const reply = await postTexture(api().url, { mesh: bomb, image: png });
        assert.equal(reply.status, 400, `bomb ${index}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body['code'], 'unsupported_mesh');
        assert.ok(Date.now() - started < 10_000, `bomb ${index} took ${Date.now() - started} ms`);
      }
    }
    assert.deepEqual(readdirSync(tmp), []);
  });

  void it('attack: garbage of every kind in the mesh field -> 400 unsupported_mesh, never a 500', async () => {
    const garbage = [
      Buffer.alloc(0),
      Buffer.from('glTF'),
      Buffer.from('ply\nformat ascii 1.0\nelement vertex 99999999999\nend_header\n'),
      Buffer.from('v 1 2\nf 1 2 3\n'),
      Buffer.from('f 1 2 3\n'),
      Buffer.concat([Buffer.from('glTF'), Buffer.alloc(60, 0xff)]),
      png,
    ];
    for (const [index, mesh] of garbage.entries()) {
      const reply = await postTexture(api().url, { mesh, image: png, meshName: 'x.obj' });
      assert.ok(
        reply.status === 400 || reply.status === 422,
        `garbage ${index}: ${reply.status} ${JSON.stringify(reply.body)}`,
      );
      assert.ok(
        ['unsupported_mesh', 'mesh_no_faces'].includes(String(reply.body['code'])),
        `garbage ${index}: ${JSON.stringify(reply.body)}`,
      );
    }
    assert.deepEqual(readdirSync(tmp), []);
  });
});
