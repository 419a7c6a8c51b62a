/**
 * Medium test: voxel previews from the REAL Python sidecar over gRPC (simulate and inflate
 * engines), through the GrpcInferenceRepository's onPreview listener.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  type InferencePreview,
  type InferenceProgress,
  previewBytesPerAxis,
} from '../../src/inference/inference.repository';
import { type InferenceTestApp, makeJob, removeDir, startInferenceApp, tempDir, testConfig } from './support';

type Seen = { kind: 'progress'; progress: InferenceProgress } | { kind: 'preview'; preview: InferencePreview };

async function runJob(harness: InferenceTestApp, outDir: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  await harness.repository.generate(
    await makeJob(outDir),
    (progress) => seen.push({ kind: 'progress', progress }),
    undefined,
    (preview) => seen.push({ kind: 'preview', preview }),
  );
  return seen;
}

/** Every coordinate inside the grid, triplets sorted and unique, as the proto promises. */
function assertWellFormed(preview: InferencePreview): void {
  assert.equal(previewBytesPerAxis(preview.resolution), 1);
  assert.equal(preview.coords.length, preview.count * 3);
  const keys: number[] = [];
  for (let i = 0; i < preview.count; i++) {
    const [x, y, z] = [preview.coords[3 * i], preview.coords[3 * i + 1], preview.coords[3 * i + 2]];
    for (const value of [x, y, z]) assert.ok(value < preview.resolution, `coordinate ${value} in the grid`);
    keys.push((x * preview.resolution + y) * preview.resolution + z);
  }
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i] > keys[i - 1], 'sorted, no repeats');
}

void describe('voxel previews over real gRPC', { timeout: 120_000 }, () => {
  const outDir = tempDir('kiln3d-previews-out-');
  after(() => removeDir(outDir));

  void test('simulate: a 32³ preview when the structure stage ends, a 64³ one when geometry ends', async () => {
    const harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: '1.5' }));
    try {
      await harness.repository.waitUntilReady(60_000);
      const seen = await runJob(harness, outDir);
      const previews = seen.flatMap((s, index) => (s.kind === 'preview' ? [{ index, preview: s.preview }] : []));
      assert.deepEqual(
        previews.map(({ preview }) => [preview.stage, preview.resolution]),
        [
          ['structure', 32],
          ['geometry', 64],
        ],
      );
      for (const { index, preview } of previews) {
        assertWellFormed(preview);
        const before = seen.slice(0, index).flatMap((s) => (s.kind === 'progress' ? [s.progress] : []));
        const after = seen.slice(index).flatMap((s) => (s.kind === 'progress' ? [s.progress] : []));
        assert.equal(before[before.length - 1].stage, preview.stage, 'sent as its stage ends');
        assert.notEqual(after[0].stage, preview.stage, 'before the next stage reports');
        assert.ok(after[after.length - 1].percent === 100);
      }
      assert.ok(previews[1].preview.count > previews[0].preview.count, 'the finer grid has more voxels');
    } finally {
      await harness.close();
    }
  });

  void test('inflate: one coarse preview before the mesh is built', async () => {
    const harness = await startInferenceApp(testConfig({ INFERENCE_ENGINE: 'inflate' }));
    try {
      await harness.repository.waitUntilReady(60_000);
      const seen = await runJob(harness, outDir);
      const index = seen.findIndex((s) => s.kind === 'preview');
      assert.equal(seen.filter((s) => s.kind === 'preview').length, 1);
      const found = seen[index];
      assert.ok(found.kind === 'preview');
      assert.equal(found.preview.stage, 'structure');
      assert.equal(found.preview.resolution, 32);
      assertWellFormed(found.preview);
      const stagesBefore = new Set(seen.slice(0, index).map((s) => (s.kind === 'progress' ? s.progress.stage : '')));
      assert.deepEqual([...stagesBefore], ['preprocess']);
    } finally {
      await harness.close();
    }
  });
});
