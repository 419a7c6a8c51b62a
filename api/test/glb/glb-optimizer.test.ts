import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_WORKER_SETTINGS, WorkerGlbOptimizer } from '../../src/glb/glb-optimizer';
import { LocalModelStore } from '../../src/storage/local-model-store';
import { StorageService } from '../../src/storage/storage.service';
import { GLB_DIR, SAMPLES_DIR, tempDir } from '../support/env';
import { type GlbSummary, inflateGlb, summariseGlb, texturedGridGlb } from '../support/glb-models';
import { gltfIssues, issuesAddedByOptimisation } from '../support/gltf';

/**
 * The web model stage on real models: the two textured GLBs in fixtures/glb, one the inflate
 * engine makes from a sample picture, and a dense textured grid generated here (over 5 MB, too
 * large to keep in the repository), each published by StorageService through the real
 * worker-thread optimiser, then read back with the meshopt decoder.
 */
void describe('web models from real GLBs (StorageService + WorkerGlbOptimizer)', () => {
  const dir = tempDir('glb-optimize');
  const storage = new StorageService(new LocalModelStore(dir.path), new WorkerGlbOptimizer());
  const inflated = join(dir.path, 'inflate-elephant.glb');
  const dense = join(dir.path, 'dense-grid-2k-texture.glb');
  const inputs = [
    join(GLB_DIR, 'valve-index-left-jpeg.glb'),
    join(GLB_DIR, 'generic-trigger-left.glb'),
    inflated,
    dense,
  ];

  before(async () => {
    await storage.onModuleInit();
    await inflateGlb(join(SAMPLES_DIR, 'typical_creature_elephant.png'), inflated);
    // 2 x 300² triangles and a 2048 px noise texture: about 5.8 MB, the size class of a TRELLIS.2 model.
    await writeFile(dense, await texturedGridGlb({ cells: 300, textureSize: 2048 }));
  });
  after(() => dir.remove());

  for (const input of inputs) {
    const name = input.split('/').pop() ?? input;
    void it(`${name}: smaller, meshopt + WebP, same meshes, triangles and bounds, valid`, async () => {
      const id = randomUUID();
      await copyFile(input, storage.sourcePath(id));
      await storage.publishWebModel(id);
      const source = new Uint8Array(await readFile(storage.sourcePath(id)));
      const web = new Uint8Array(await readFile(storage.webPath(id)));
      assert.deepEqual(
        source,
        new Uint8Array(await readFile(input)),
        'the source is left as the engine wrote it',
      );
      assert.ok(web.byteLength < source.byteLength, `${web.byteLength} < ${source.byteLength}`);

      const before: GlbSummary = await summariseGlb(source);
      const after: GlbSummary = await summariseGlb(web);
      for (const extension of ['EXT_meshopt_compression', 'KHR_mesh_quantization', 'EXT_texture_webp']) {
        assert.ok(after.extensionsUsed.includes(extension), `${extension} in ${after.extensionsUsed.join()}`);
      }
      assert.ok(after.extensionsRequired.includes('EXT_meshopt_compression'));
      assert.equal(after.meshes, before.meshes, 'meshes');
      assert.equal(after.primitives, before.primitives, 'primitives');
      assert.equal(after.triangles, before.triangles, 'triangles');
      assert.ok(after.triangles > 0);
      // Positions are quantised to 14 bits of the mesh's extent: far under 0.1 % of the model's size.
      const size = Math.max(...before.max.map((max, axis) => max - before.min[axis]));
      for (let axis = 0; axis < 3; axis++) {
        assert.ok(
          Math.abs(after.min[axis] - before.min[axis]) <= size * 1e-3,
          `min ${after.min.join()} vs ${before.min.join()}`,
        );
        assert.ok(
          Math.abs(after.max[axis] - before.max[axis]) <= size * 1e-3,
          `max ${after.max.join()} vs ${before.max.join()}`,
        );
      }
      assert.equal(after.textures.length, before.textures.length);
      assert.ok(after.textures.length > 0);
      after.textures.forEach((texture, i) => {
        assert.equal(texture.mimeType, 'image/webp');
        assert.equal(texture.decodedFormat, 'webp', 'sharp decodes it as WebP');
        const cap = DEFAULT_WORKER_SETTINGS.maxTextureSize;
        const scale = Math.min(1, cap / Math.max(before.textures[i].width, before.textures[i].height));
        assert.equal(texture.width, Math.round(before.textures[i].width * scale));
        assert.equal(texture.height, Math.round(before.textures[i].height * scale));
      });

      // glTF-Validator cannot decode meshopt data: on the web model its one new remark must be that.
      const sourceReport = await gltfIssues(source);
      const webReport = await gltfIssues(web);
      assert.equal(sourceReport.errors, 0);
      assert.equal(webReport.errors, 0, JSON.stringify(webReport.issues.slice(0, 5)));
      assert.deepEqual(issuesAddedByOptimisation(sourceReport.issues, webReport.issues), [
        ['UNSUPPORTED_EXTENSION', 2, true],
      ]);
      assert.deepEqual(
        (await readdir(dir.path)).filter((n) => n.endsWith('.partial')),
        [],
      );
    });

    void it(`${name}: a LOD beside it, a few percent of its bytes, same bounds, small WebP, valid`, async () => {
      const id = randomUUID();
      await copyFile(input, storage.sourcePath(id));
      assert.deepEqual(await storage.publishWebModel(id), { lod: true });
      const web = new Uint8Array(await readFile(storage.webPath(id)));
      const lod = new Uint8Array(await readFile(storage.lodPath(id)));
      const full: GlbSummary = await summariseGlb(web);
      const small: GlbSummary = await summariseGlb(lod);
      const share = lod.byteLength / web.byteLength;
      // Small models (the fixtures) have little to simplify: their LOD is mostly its 256 px texture.
      const limit = web.byteLength > 1e6 ? 0.05 : 0.3;
      assert.ok(
        share <= limit,
        `LOD ${lod.byteLength} B = ${(share * 100).toFixed(1)} % of ${web.byteLength} B`,
      );
      assert.ok(
        small.triangles > 0 && small.triangles <= full.triangles,
        `${small.triangles} ≤ ${full.triangles}`,
      );
      if (full.triangles > 10_000)
        assert.ok(small.triangles <= full.triangles * 0.2, `${small.triangles} triangles`);
      for (const extension of ['EXT_meshopt_compression', 'KHR_mesh_quantization', 'EXT_texture_webp']) {
        assert.ok(small.extensionsUsed.includes(extension), `${extension} in ${small.extensionsUsed.join()}`);
      }
      // The LOD's normals through meshopt's octahedral filter (a stand-in drawn for a moment); the
      // web model's quantised only.
      assert.deepEqual(small.meshoptFilters, ['OCTAHEDRAL']);
      assert.deepEqual(full.meshoptFilters, []);
      small.textures.forEach((texture) => {
        assert.equal(texture.mimeType, 'image/webp');
        assert.ok(Math.max(texture.width, texture.height) <= 256, `${texture.width}×${texture.height}`);
      });
      // The viewer swaps the LOD for the model without moving the camera: the same box, within 2 %.
      const diagonal = Math.hypot(...full.max.map((max, axis) => max - full.min[axis]));
      for (let axis = 0; axis < 3; axis++) {
        assert.ok(
          Math.abs(small.min[axis] - full.min[axis]) <= diagonal * 0.02,
          `min ${small.min.join()} vs ${full.min.join()}`,
        );
        assert.ok(
          Math.abs(small.max[axis] - full.max[axis]) <= diagonal * 0.02,
          `max ${small.max.join()} vs ${full.max.join()}`,
        );
      }
      const report = await gltfIssues(lod);
      assert.equal(report.errors, 0, JSON.stringify(report.issues.slice(0, 5)));
      console.log(
        `# ${name}: web ${web.byteLength} B, LOD ${lod.byteLength} B (${(share * 100).toFixed(1)} %), ` +
          `triangles ${full.triangles} -> ${small.triangles}`,
      );
      await storage.removeModels(id);
      assert.deepEqual(
        (await readdir(dir.path)).filter((n) => n.startsWith(id)),
        [],
        'the LOD goes with its model',
      );
    });
  }
});
