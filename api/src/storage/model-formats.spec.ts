import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODEL_FORMATS, downloadFileName, formatFileName, modelIdOfFile, variantKey } from './model-formats';
import { isServableModelName } from './model-names';

const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';

void describe('model format files', () => {
  void it('names each variant apart, sizes included', () => {
    const names = [
      formatFileName(id, { format: 'obj', sizeMm: undefined }),
      formatFileName(id, { format: 'stl', sizeMm: 100 }),
      formatFileName(id, { format: 'stl', sizeMm: 250 }),
      formatFileName(id, { format: '3mf', sizeMm: 100 }),
      formatFileName(id, { format: 'ply', sizeMm: undefined }),
      formatFileName(id, { format: 'usdz', sizeMm: undefined }),
      formatFileName(id, { format: 'stl', sizeMm: 'own', units: 'mm' }),
      formatFileName(id, { format: '3mf', sizeMm: 'own', units: 'in' }),
      formatFileName(id, { format: 'usdz', sizeMm: undefined, units: 'mm' }),
    ];
    assert.deepEqual(names, [
      `${id}.obj.zip`,
      `${id}.100mm.stl`,
      `${id}.250mm.stl`,
      `${id}.100mm.3mf`,
      `${id}.ply`,
      `${id}.usdz`,
      // A painted model's own size: one file per format (its units are the model's, fixed).
      `${id}.own.stl`,
      `${id}.own.3mf`,
      `${id}.usdz`,
    ]);
    for (const name of names) {
      assert.equal(modelIdOfFile(name), id, name);
      // Only the download route hands them out, with their own type and file name.
      assert.equal(isServableModelName(name), false, name);
    }
    assert.equal(variantKey({ format: 'stl', sizeMm: 100 }), 'stl@100');
    assert.equal(variantKey({ format: 'usdz', sizeMm: undefined }), 'usdz');
    assert.equal(variantKey({ format: 'stl', sizeMm: 'own', units: 'cm' }), 'stl@own');
  });

  void it("knows a model's GLBs, and nothing else in the store, as a model's", () => {
    assert.equal(modelIdOfFile(`${id}.glb`), id);
    assert.equal(modelIdOfFile(`${id}.source.glb`), id);
    for (const name of [
      `.${id}.ab12cd34.partial`,
      '.kiln3d-folder-id',
      `${id}.stl`,
      `${id}.100mm.stl.partial`,
      `${id.toUpperCase()}.usdz`,
      `../${id}.ply`,
    ]) {
      assert.equal(modelIdOfFile(name), undefined, name);
    }
  });

  void it('gives downloads a file name that names the model only', () => {
    assert.equal(downloadFileName(id, 'stl', 120), 'kiln3d-3f0c2a4e-120mm.stl');
    // At the size the mesh was drawn: no size in the name.
    assert.equal(downloadFileName(id, '3mf', 'own'), 'kiln3d-3f0c2a4e.3mf');
    assert.equal(downloadFileName(id, 'obj', undefined), 'kiln3d-3f0c2a4e-obj.zip');
    assert.equal(downloadFileName(id, 'glb', undefined), 'kiln3d-3f0c2a4e.glb');
    assert.deepEqual([...MODEL_FORMATS], ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz']);
  });
});
