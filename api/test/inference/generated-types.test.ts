import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { GENERATED_DIR, findRepoRoot, generateProtoTypes, listFiles } from './proto-codegen';

const root = findRepoRoot();
const scratch = mkdtempSync(join(tmpdir(), 'kiln3d-codegen-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

void test('the committed gRPC types equal a fresh proto-loader-gen-types run over proto/inference.proto', async () => {
  await generateProtoTypes(root, scratch);
  const committedDir = join(root, GENERATED_DIR);
  const fresh = listFiles(scratch).map((f) => relative(scratch, f));
  const committed = listFiles(committedDir).map((f) => relative(committedDir, f));
  assert.deepEqual(committed, fresh, 'generated file list differs: run test/inference/proto-codegen');
  for (const file of fresh) {
    assert.equal(
      readFileSync(join(committedDir, file), 'utf8'),
      readFileSync(join(scratch, file), 'utf8'),
      `${file} differs from a fresh generation: rerun test/inference/proto-codegen, never hand-edit`,
    );
  }
});
