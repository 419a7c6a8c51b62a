import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../common/api-error';
import { ParseForcePipe } from './inference-admin.controller';

void describe('admin restart: the force parameter', () => {
  void test('force: absent, empty, false or 0 is false; true or 1 is true; anything else is 400', () => {
    const pipe = new ParseForcePipe();
    for (const raw of [undefined, '', 'false', '0']) assert.equal(pipe.transform(raw), false);
    for (const raw of ['true', '1']) assert.equal(pipe.transform(raw), true);
    assert.throws(
      () => pipe.transform('maybe'),
      (error: unknown) =>
        error instanceof ApiError &&
        error.status === 400 &&
        error.code === 'invalid_parameter' &&
        error.message === 'force must be true or false',
    );
  });
});
