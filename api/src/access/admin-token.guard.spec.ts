import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiError, ErrorMessage } from '../common/api-error';
import { loadConfig } from '../config/app-config';
import { AdminTokenGuard } from './admin-token.guard';

const TOKEN = 'admin-token-0123456789';

/** Runs the guard on a request with this Authorization header; returns its verdict and the error's headers. */
function check(adminToken: string | undefined, authorization: string | undefined) {
  const guard = new AdminTokenGuard(
    loadConfig(adminToken === undefined ? {} : { ADMIN_TOKEN: adminToken }, '/srv'),
  );
  const request = { headers: authorization === undefined ? {} : { authorization } };
  try {
    return { allowed: guard.canActivate(new ExecutionContextHost([request, {}])), error: null, headers: {} };
  } catch (error) {
    return { allowed: false, error, headers: error instanceof ApiError ? error.headers : {} };
  }
}

void describe('admin route guard', () => {
  void test('the right bearer token passes, whatever the scheme case and surrounding spaces', () => {
    assert.equal(check(TOKEN, `Bearer ${TOKEN}`).allowed, true);
    assert.equal(check(TOKEN, `  bearer ${TOKEN} `).allowed, true);
  });

  void test('a missing or wrong token is 401 with a Bearer challenge', () => {
    for (const authorization of [
      undefined,
      'Bearer wrong',
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      'Bearer ',
    ]) {
      const { allowed, error, headers } = check(TOKEN, authorization);
      assert.equal(allowed, false);
      assert.ok(error instanceof ApiError, String(authorization));
      assert.deepEqual(
        [error.status, error.code, error.message],
        [401, 'unauthorized', ErrorMessage.unauthorized],
      );
      assert.equal(headers['WWW-Authenticate'], 'Bearer realm="kiln3d-admin"');
    }
  });

  void test('without ADMIN_TOKEN the admin routes are off: 404, even with a token', () => {
    const { error } = check(undefined, `Bearer ${TOKEN}`);
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.message], [404, 'not_found', ErrorMessage.notFound]);
  });
});
