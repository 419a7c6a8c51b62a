import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../common/api-error';
import { defaultVariant, parseDownloadQuery } from './model-downloads.service';

function refusal(format: unknown, sizeMm: unknown): string {
  try {
    parseDownloadQuery(format, sizeMm);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_option');
    return error.message;
  }
  assert.fail(`accepted format=${String(format)} size_mm=${String(sizeMm)}`);
}

void describe('download query', () => {
  void it("defaults to the GLB; a printing format's size, when not asked, is left to the model", () => {
    assert.deepEqual(parseDownloadQuery(undefined, undefined), { format: 'glb', sizeMm: undefined });
    assert.deepEqual(parseDownloadQuery('stl', undefined), { format: 'stl', sizeMm: undefined });
    assert.deepEqual(parseDownloadQuery('3mf', '250'), { format: '3mf', sizeMm: 250 });
    assert.deepEqual(parseDownloadQuery('usdz', undefined), { format: 'usdz', sizeMm: undefined });
  });

  void it('refuses an unknown or repeated format, naming the field', () => {
    for (const format of ['fbx', 'STL', '', ['stl', 'obj'], 'glb ']) {
      assert.equal(refusal(format, undefined), 'Invalid format: one of glb, obj, stl, 3mf, ply, usdz');
    }
  });

  void it('refuses a size out of bounds, not whole, or for a format that has none', () => {
    const rule = 'Invalid size_mm: a whole number of millimetres from 10 to 1000, for stl and 3mf only';
    for (const [format, size] of [
      ['stl', '9'],
      ['stl', '1001'],
      ['stl', '12.5'],
      ['3mf', '-20'],
      ['3mf', '1e2'],
      ['stl', ''],
      ['stl', ['100', '200']],
      ['obj', '100'],
      ['glb', '100'],
    ] as const) {
      assert.equal(refusal(format, size), rule, `${format} ${String(size)}`);
    }
  });
});

void describe('the variant of a download without size_mm', () => {
  const painted = { units: 'mm' as const, extent: [20, 40, 15] as [number, number, number] };

  void it("makes a generated model's printing formats at 100 mm, and its others as they are", () => {
    assert.deepEqual(defaultVariant('stl', undefined), { format: 'stl', sizeMm: 100 });
    assert.deepEqual(defaultVariant('3mf', undefined), { format: '3mf', sizeMm: 100 });
    assert.deepEqual(defaultVariant('usdz', undefined), { format: 'usdz', sizeMm: undefined });
  });

  void it("makes a painted model's printing formats at its own size, and its usdz in its units", () => {
    assert.deepEqual(defaultVariant('stl', painted), { format: 'stl', sizeMm: 'own', units: 'mm' });
    assert.deepEqual(defaultVariant('3mf', painted), { format: '3mf', sizeMm: 'own', units: 'mm' });
    assert.deepEqual(defaultVariant('usdz', painted), { format: 'usdz', sizeMm: undefined, units: 'mm' });
    // The OBJ and PLY keep the GLB's coordinates: no unit changes them.
    assert.deepEqual(defaultVariant('obj', painted), { format: 'obj', sizeMm: undefined });
    assert.deepEqual(defaultVariant('ply', painted), { format: 'ply', sizeMm: undefined });
  });
});
