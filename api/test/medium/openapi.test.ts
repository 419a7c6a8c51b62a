import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderOpenApiJson } from '../../src/openapi';
import { REPO_ROOT } from '../support/env';

void describe('api/openapi.json', () => {
  void it('matches the document the code generates (run `node dist/api/openapi.js` to update it)', async () => {
    const committed = readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8');
    const generated = await renderOpenApiJson();
    assert.equal(generated, committed);
  });

  void it('documents every status code of the error table on POST /api/generate', () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const codes = Object.keys(doc.paths['/api/generate']['post'].responses).sort();
    for (const code of ['202', '400', '413', '500', '503', '504']) assert.ok(codes.includes(code), code);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        assert.ok(Object.keys(op.responses).length >= 2, `${method} ${path} documents its errors`);
      }
    }
  });
});
