import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceError, type InferenceErrorCode } from '../../inference/inference.repository';
import { mapInferenceError } from './inference-error-mapping';

void describe('mapInferenceError', () => {
  const table: [InferenceErrorCode, number, string, boolean][] = [
    ['TIMEOUT', 504, 'Generation timeout', false],
    ['OOM', 500, 'GPU out of memory', false],
    ['INVALID_INPUT', 422, 'No object found in the image', false],
    ['CANCELLED', 409, 'Task cancelled', false],
    ['INTERNAL', 500, 'Internal error', true],
    ['UNAVAILABLE', 500, 'Internal error', true],
  ];
  for (const [code, status, message, unexpected] of table) {
    void it(`${code} -> ${status} "${message}"`, () => {
      const failure = mapInferenceError(new InferenceError(code, 'detail'));
      assert.equal(failure.httpStatus, status);
      assert.equal(failure.message, message);
      assert.equal(failure.unexpected, unexpected);
      assert.equal(failure.cancelled, code === 'CANCELLED');
    });
  }

  void it('maps any other error to 500 Internal error, to be logged', () => {
    assert.deepEqual(mapInferenceError(new Error('ENOSPC')), {
      httpStatus: 500,
      message: 'Internal error',
      cancelled: false,
      unexpected: true,
    });
  });
});
