import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import multer from 'multer';
import { mapMulterError } from './image-upload.interceptor';
import { contentLengthTooLarge, maxUploadBytes, MULTIPART_OVERHEAD_BYTES } from './upload-limits';

void describe('upload limits', () => {
  void it('refuses early only when Content-Length proves the file is over the limit', () => {
    const limit = maxUploadBytes(10);
    assert.equal(limit, 10 * 1024 * 1024);
    assert.equal(contentLengthTooLarge(String(30_000_000), 10), true);
    assert.equal(contentLengthTooLarge(String(limit + MULTIPART_OVERHEAD_BYTES), 10), false);
    assert.equal(contentLengthTooLarge(String(limit + MULTIPART_OVERHEAD_BYTES + 1), 10), true);
    assert.equal(contentLengthTooLarge(undefined, 10), false);
    assert.equal(contentLengthTooLarge('abc', 10), false);
  });

  void it('maps multer errors to 413 (size) and 400 (shape of the upload)', () => {
    const tooLarge = mapMulterError(new multer.MulterError('LIMIT_FILE_SIZE', 'image'), 10);
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.message, 'File too large, max 10MB');
    const extra = mapMulterError(new multer.MulterError('LIMIT_UNEXPECTED_FILE', 'photo'), 10);
    assert.equal(extra.status, 400);
    assert.equal(extra.message, 'Send exactly one file, in the field "image"');
    for (const malformed of [
      new Error('Unexpected end of form'),
      new multer.MulterError('LIMIT_PART_COUNT'),
    ]) {
      const mapped = mapMulterError(malformed, 10);
      assert.deepEqual([mapped.status, mapped.message], [400, 'Bad request'], 'never the raw message');
    }
  });
});
