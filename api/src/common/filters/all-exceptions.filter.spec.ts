import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import { ApiError } from '../api-error';
import { mapException } from './all-exceptions.filter';

void describe('mapException', () => {
  void it('keeps an ApiError status, message, code and headers', () => {
    const mapped = mapException(new ApiError('server_busy', { headers: { 'Retry-After': '30' } }), 10);
    assert.deepEqual(mapped.body, { success: false, error: 'Server busy, retry later', code: 'server_busy' });
    assert.equal(mapped.status, 503);
    assert.equal(mapped.headers['Retry-After'], '30');
    assert.equal(mapped.unexpected, false);
  });

  void it("ioredis's own error for a Redis that does not answer -> 503 store_unavailable with Retry-After, no stack", async () => {
    // A real client on a port where nothing listens: its command fails as the api's would.
    const client = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    client.on('error', () => undefined);
    try {
      const error: unknown = await client.get('kiln:anything').then(
        () => assert.fail('answered'),
        (rejected: unknown) => rejected,
      );
      const mapped = mapException(error, 10);
      assert.deepEqual(mapped.body, {
        success: false,
        error: 'The task store is not reachable, retry later',
        code: 'store_unavailable',
      });
      assert.equal(mapped.status, 503);
      assert.equal(mapped.headers['Retry-After'], '10');
      assert.equal(mapped.unexpected, false);
    } finally {
      client.disconnect();
    }
  });

  void it("Redis refusing a write at its maxmemory (ioredis's ReplyError) -> 507 store_full, not a 500", () => {
    // The reply's words as redis-server 7 sends them (server.c, shared.oomerr), which ioredis
    // rejects with (a ReplyError); e2e/store-full.test.ts gets them from a real server.
    const error = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    const mapped = mapException(error, 10);
    assert.deepEqual(mapped.body, {
      success: false,
      error: 'The task store is full, retry later',
      code: 'store_full',
    });
    assert.equal(mapped.status, 507);
    assert.equal(mapped.unexpected, false);
    assert.equal(mapException(new Error('ERR unknown command'), 10).status, 500);
  });

  void it('gives the older (status, fixed message) form the code of its row', () => {
    const mapped = mapException(new ApiError(409, 'Task already finished'), 10);
    assert.deepEqual(mapped.body, {
      success: false,
      error: 'Task already finished',
      code: 'task_already_finished',
    });
    assert.equal(mapped.status, 409);
  });

  void it('fills a templated message from its parameters, or takes its builder words', () => {
    const option = mapException(
      new ApiError('invalid_option', { params: { field: 'seed', rule: 'an integer' } }),
      10,
    );
    assert.deepEqual(
      [option.status, option.body],
      [400, { success: false, error: 'Invalid seed: an integer', code: 'invalid_option' }],
    );
    const quality = mapException(
      new ApiError('unavailable_quality', { message: 'Unavailable quality: high …' }),
      10,
    );
    assert.deepEqual(
      [quality.status, quality.body.code, quality.body.error],
      [422, 'unavailable_quality', 'Unavailable quality: high …'],
    );
  });

  void it("turns Nest's own 404 into the JSON error body", () => {
    const mapped = mapException(new NotFoundException('Cannot GET /api/nope'), 10);
    assert.equal(mapped.status, 404);
    assert.deepEqual(mapped.body, { success: false, error: 'Not found', code: 'not_found' });
  });

  void it('names the configured limit on any 413', () => {
    assert.deepEqual(mapException(new PayloadTooLargeException(), 7).body, {
      success: false,
      error: 'File too large, max 7MB',
      code: 'file_too_large',
    });
    const otherLimit = Object.assign(new Error('request entity too large'), { status: 413 });
    assert.equal(mapException(otherLimit, 10).body.error, 'File too large, max 10MB');
    assert.equal(mapException(otherLimit, 10).headers['Connection'], 'close');
  });

  void it("body-parser's own limit (a JSON body over 100 kB) is body_too_large, not the upload's", () => {
    // body-parser's error for it (its `type`), as Nest's adapter passes it on.
    const bodyParser = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
    });
    const mapped = mapException(bodyParser, 10);
    assert.deepEqual(mapped.body, {
      success: false,
      error: 'Request body too large, max 100kB',
      code: 'body_too_large',
    });
    assert.equal(mapped.status, 413);
    assert.equal(mapped.headers['Connection'], 'close');
  });

  void it("answers a 4xx HttpException by its status's row, never its own words", () => {
    const mapped = mapException(
      new BadRequestException('Validation failed (boolean string is expected)'),
      10,
    );
    assert.equal(mapped.status, 400);
    assert.deepEqual(mapped.body, { success: false, error: 'Bad request', code: 'bad_request' });
    const conflict = mapException(new HttpException('Some conflict', 409), 10);
    assert.deepEqual([conflict.status, conflict.body.code], [409, 'bad_request']);
    const unauthorized = mapException(new HttpException('Nope', 401), 10);
    assert.deepEqual([unauthorized.status, unauthorized.body.code], [401, 'unauthorized']);
  });

  void it('answers a 4xx from below Nest with the contract message, never its raw one', () => {
    const badJson = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), {
      status: 400,
      type: 'entity.parse.failed',
    });
    const badPath = Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 });
    const charset = Object.assign(new Error('unsupported charset "UTF-7"'), { statusCode: 415 });
    for (const [error, status] of [
      [badJson, 400],
      [badPath, 400],
      [charset, 415],
    ] as const) {
      const mapped = mapException(error, 10);
      assert.equal(mapped.status, status);
      assert.deepEqual(mapped.body, { success: false, error: 'Bad request', code: 'bad_request' });
      assert.equal(mapped.unexpected, false);
    }
    // The same errors as Nest's express adapter hands them on: wrapped, the original as cause.
    for (const [wrapped, status] of [
      [new BadRequestException('Unexpected end of JSON input', { cause: badJson }), 400],
      [new BadRequestException("Failed to decode param '%E0%A4%A'", { cause: badPath }), 400],
      [new HttpException('unsupported charset "UTF-7"', 415, { cause: charset }), 415],
    ] as const) {
      const mapped = mapException(wrapped, 10);
      assert.equal(mapped.status, status);
      assert.deepEqual(mapped.body, { success: false, error: 'Bad request', code: 'bad_request' });
    }
    const missing = mapException(Object.assign(new Error('ENOENT: /srv/web/x.js'), { status: 404 }), 10);
    assert.deepEqual(
      [missing.status, missing.body.error, missing.body.code],
      [404, 'Not found', 'not_found'],
    );
  });

  void it('hides anything else behind 500 Internal error and flags it for the log', () => {
    const mapped = mapException(new TypeError('x is undefined'), 10);
    assert.equal(mapped.status, 500);
    assert.deepEqual(mapped.body, { success: false, error: 'Internal error', code: 'internal_error' });
    assert.equal(mapped.unexpected, true);
    const nest500 = mapException(new HttpException('boom', 502), 10);
    assert.deepEqual([nest500.status, nest500.body.code, nest500.unexpected], [500, 'internal_error', true]);
  });
});
