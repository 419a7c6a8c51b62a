import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../common/api-error';
import { parseDownloadQuery } from './model-downloads.service';

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
  void it('defaults to the GLB, and printing formats to 100 mm', () => {
    assert.deepEqual(parseDownloadQuery(undefined, undefined), { format: 'glb', sizeMm: undefined });
    assert.deepEqual(parseDownloadQuery('stl', undefined), { format: 'stl', sizeMm: 100 });
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
