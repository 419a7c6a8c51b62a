import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceError, type InferenceErrorCode } from '../../inference/inference.repository';
import { mapInferenceError } from './inference-error-mapping';

void describe('mapInferenceError', () => {
  const table: [InferenceErrorCode, string, number, string, boolean][] = [
    ['TIMEOUT', 'generation_timeout', 504, 'Generation timeout', false],
    ['OOM', 'gpu_out_of_memory', 500, 'GPU out of memory', false],
    ['INVALID_INPUT', 'no_object', 422, 'No object found in the image', false],
    ['CANCELLED', 'task_cancelled', 409, 'Task cancelled', false],
    ['INTERNAL', 'internal_error', 500, 'Internal error', true],
    ['UNAVAILABLE', 'engine_unavailable', 503, 'The model engine is not available, retry later', false],
  ];
  for (const [code, errorCode, status, message, unexpected] of table) {
    void it(`${code} -> ${status} ${errorCode} "${message}"`, () => {
      const failure = mapInferenceError(new InferenceError(code, 'detail'));
      assert.equal(failure.code, errorCode);
      assert.equal(failure.httpStatus, status);
      assert.equal(failure.message, message);
      assert.equal(failure.unexpected, unexpected);
      assert.equal(failure.cancelled, code === 'CANCELLED');
    });
  }

  void it('maps any other error to 500 Internal error, to be logged', () => {
    assert.deepEqual(mapInferenceError(new Error('ENOSPC')), {
      code: 'internal_error',
      httpStatus: 500,
      message: 'Internal error',
      cancelled: false,
      unexpected: true,
    });
  });
});
