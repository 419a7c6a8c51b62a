/**
 * Medium (the real formats tool, a Python process): a conversion that fails says why in the
 * first words of its message, the line an operator greps for (the exception, not a cut traceback).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FormatConversionError, PythonFormatConverter } from '../../src/formats/format-converter';
import { GLB_DIR, REPO_ROOT, tempDir } from '../support/env';

void describe('the formats tool failing (PythonFormatConverter)', () => {
  void it("leads with the tool's exception, then the lines before it", async () => {
    const dir = tempDir('format-converter');
    const converter = new PythonFormatConverter(join(REPO_ROOT, 'inference'), 120_000);
    // A target in a folder that is not there: the tool's write raises.
    const target = join(dir.path, 'missing-folder', 'model.stl');
    try {
      const error = await converter
        .convert(join(GLB_DIR, 'generic-trigger-left.glb'), target, { format: 'stl', sizeMm: 50 })
        .then(
          () => assert.fail('converted'),
          (failure: unknown) => failure,
        );
      assert.ok(error instanceof FormatConversionError);
      assert.match(
        error.message,
        /^the formats tool failed \(exit 1\): FileNotFoundError: \[Errno 2\] No such file or directory: '.*model\.stl' \(after: /,
      );
      assert.doesNotMatch(error.message, /\n/, 'one line');
    } finally {
      dir.remove();
    }
  });
});
