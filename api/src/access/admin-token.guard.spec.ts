import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiError, ErrorMessage } from '../common/api-error';
import { loadConfig } from '../config/app-config';
import type { Request } from 'express';
import type { AccessService } from './access.service';
import { adminOperatorOf, describeOperator } from './admin-operator';
import { AdminTokenGuard } from './admin-token.guard';

const TOKEN = 'admin-token-0123456789';

/** A request from 203.0.113.9 (no trusted proxy) with this Authorization header. */
function requestWith(authorization: string | undefined): Request {
  return {
    headers: authorization === undefined ? {} : { authorization },
    ip: '203.0.113.9',
    socket: { remoteAddress: '203.0.113.9' },
    app: { get: () => () => false },
  } as unknown as Request;
}

/** Runs the guard on a request with this Authorization header; returns its verdict and the error's headers. */
async function check(
  adminToken: string | undefined,
  authorization: string | undefined,
  access?: AccessService,
) {
  const guard = new AdminTokenGuard(
    loadConfig(adminToken === undefined ? {} : { ADMIN_TOKEN: adminToken }, '/srv'),
    access,
  );
  const request = requestWith(authorization);
  try {
    const allowed = await guard.canActivate(new ExecutionContextHost([request, {}]));
    return { allowed, error: null, headers: {}, request };
  } catch (error) {
    return { allowed: false, error, headers: error instanceof ApiError ? error.headers : {}, request };
  }
}

void describe('admin route guard', () => {
  void test('the right bearer token passes, whatever the scheme case and surrounding spaces', async () => {
    assert.equal((await check(TOKEN, `Bearer ${TOKEN}`)).allowed, true);
    assert.equal((await check(TOKEN, `  bearer ${TOKEN} `)).allowed, true);
  });

  void test('a request let through names its operator: the address, and the verified Access email', async () => {
    const plain = await check(TOKEN, `Bearer ${TOKEN}`);
    assert.equal(describeOperator(adminOperatorOf(plain.request)), '203.0.113.9');
    const access = { verifiedEmail: () => Promise.resolve('ana@example.com') } as unknown as AccessService;
    const viaAccess = await check(TOKEN, `Bearer ${TOKEN}`, access);
    assert.deepEqual(adminOperatorOf(viaAccess.request), {
      address: '203.0.113.9',
      email: 'ana@example.com',
    });
    assert.equal(describeOperator(adminOperatorOf(viaAccess.request)), '203.0.113.9 (ana@example.com)');
  });

  void test('a missing or wrong token is 401 with a Bearer challenge', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong',
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      'Bearer ',
    ]) {
      const { allowed, error, headers } = await check(TOKEN, authorization);
      assert.equal(allowed, false);
      assert.ok(error instanceof ApiError, String(authorization));
      assert.deepEqual(
        [error.status, error.code, error.message],
        [401, 'unauthorized', ErrorMessage.unauthorized],
      );
      assert.equal(headers['WWW-Authenticate'], 'Bearer realm="kiln3d-admin"');
    }
  });

  void test('without ADMIN_TOKEN the admin routes are off: 404, even with a token', async () => {
    const { error } = await check(undefined, `Bearer ${TOKEN}`);
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.message], [404, 'not_found', ErrorMessage.notFound]);
  });
});
