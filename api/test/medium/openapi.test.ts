import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_TABLE } from '../../src/common/error-table';
import { renderContractFiles } from '../../src/openapi';
import { REPO_ROOT } from '../support/env';

void describe('api/openapi.json and what is generated from the contract', () => {
  void it('every generated file (api/openapi.json, the web types, the docs error tables) is current: run `node dist/api/openapi.js`', async () => {
    const files = await renderContractFiles(REPO_ROOT);
    assert.deepEqual(
      [...files.keys()].sort(),
      ['README.md', 'api/openapi.json', 'docs/design.md', 'web/src/app/core/api/generated/openapi.ts'].sort(),
    );
    for (const [path, generated] of files) {
      const committed = readFileSync(join(REPO_ROOT, path), 'utf8');
      assert.ok(generated === committed, `${path} differs from what the contract generates`);
    }
  });

  void it('the docs show every code of the error table, with its status and message', () => {
    for (const doc of ['README.md', join('docs', 'design.md')]) {
      const text = readFileSync(join(REPO_ROOT, doc), 'utf8');
      for (const code of ERROR_CODES) {
        const row = ERROR_TABLE[code];
        assert.ok(text.includes(`| \`${code}\` | ${row.status}`), `${doc}: ${code} ${row.status}`);
        assert.ok(text.includes(`\`${row.message}\``), `${doc}: ${row.message}`);
      }
    }
  });

  void it('the document gives every error answer the code enum, and the task snapshot its error_code', () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      components: {
        schemas: Record<
          string,
          { enum?: string[]; properties?: Record<string, { allOf?: { $ref: string }[] }> }
        >;
      };
    };
    const schemas = doc.components.schemas;
    assert.deepEqual(schemas['ErrorCode'].enum, ERROR_CODES);
    const ref = [{ $ref: '#/components/schemas/ErrorCode' }];
    assert.deepEqual(schemas['ErrorBodyDto'].properties?.['code'].allOf, ref);
    assert.deepEqual(schemas['TaskViewDto'].properties?.['error_code'].allOf, ref);
    assert.deepEqual(
      doc.components.schemas['ErrorBodyDto'].properties && Object.keys(schemas['ErrorBodyDto'].properties),
      ['success', 'error', 'code'],
    );
  });

  void it('documents every status code of the error table on POST /api/generate', () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const codes = Object.keys(doc.paths['/api/generate']['post'].responses).sort();
    for (const code of ['202', '400', '401', '409', '413', '422', '429', '500', '503', '504'])
      assert.ok(codes.includes(code), code);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        assert.ok(Object.keys(op.responses).length >= 2, `${method} ${path} documents its errors`);
      }
    }
  });

  void it('types as integer every numeric field the uploads take only as integers, so generated clients send 42, not 42.0', () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      components: { schemas: Record<string, { properties: Record<string, { type?: string }> }> };
    };
    const schemas = doc.components.schemas;
    const numeric = (name: string): string[] =>
      Object.entries(schemas[name].properties)
        .filter(([, property]) => property.type === 'number' || property.type === 'integer')
        .map(([field, property]) => `${field}: ${property.type}`);
    // parseGenerationOptions and parseTextureOptions refuse 42.5 ("an integer from ...").
    assert.deepEqual(numeric('GenerateUploadDto'), [
      'seed: integer',
      'texture_size: integer',
      'faces: integer',
    ]);
    assert.deepEqual(numeric('TextureUploadDto'), [
      'seed: integer',
      'texture_size: integer',
      'texture_resolution: integer',
    ]);
    assert.deepEqual(numeric('TaskOptionsDto'), [
      'seed: integer',
      'texture_size: integer',
      'faces: integer',
      'texture_resolution: integer',
    ]);
  });

  void it("gives a header several codes of one status carry each code's meaning (Retry-After of a 503 upload)", () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { headers?: Record<string, { description: string }> }> }>
      >;
    };
    const retryAfter =
      doc.paths['/api/generate']['post'].responses['503'].headers?.['Retry-After'].description;
    assert.match(String(retryAfter), /server_busy: seconds: the mean job duration/);
    assert.match(String(retryAfter), /admissions_paused: seconds: 60/);
  });

  void it('describes the event stream as text (Server-Sent Events), not as one JSON document', () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'api', 'openapi.json'), 'utf8')) as {
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<
              string,
              { content?: Record<string, { schema: { type?: string; $ref?: string } }> }
            >;
          }
        >
      >;
    };
    const ok = doc.paths['/api/status/{taskId}']['get'].responses['200'];
    assert.deepEqual(Object.keys(ok.content ?? {}), ['text/event-stream']);
    assert.equal(ok.content?.['text/event-stream'].schema.type, 'string');
    assert.equal(ok.content?.['text/event-stream'].schema.$ref, undefined);
  });
});
