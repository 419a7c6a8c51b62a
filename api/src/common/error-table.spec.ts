import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ERROR_CODES,
  ERROR_TABLE,
  codeOfFixedMessage,
  errorMessage,
  isFixedErrorCode,
  renderErrorTableMarkdown,
  replaceMarkedBlock,
} from './error-table';

void describe('the error table', () => {
  void it('has snake_case codes, 4xx/5xx statuses and one row per fixed message', () => {
    const fixed = new Set<string>();
    for (const code of ERROR_CODES) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      const row = ERROR_TABLE[code];
      assert.ok(row.status >= 400 && row.status < 600, `${code} ${row.status}`);
      assert.ok(row.when.length > 0, code);
      if (isFixedErrorCode(code)) {
        assert.ok(!fixed.has(row.message), `two rows say "${row.message}"`);
        fixed.add(row.message);
        assert.equal(codeOfFixedMessage(row.message as never), code);
      }
    }
  });

  void it('keeps the contract messages word for word', () => {
    assert.equal(ERROR_TABLE.unsupported_image.message, 'Unsupported image format');
    assert.equal(ERROR_TABLE.server_busy.message, 'Server busy, retry later');
    assert.equal(ERROR_TABLE.task_cancelled.status, 409);
    assert.equal(errorMessage('file_too_large', { max_upload_mb: 10 }), 'File too large, max 10MB');
    assert.equal(
      errorMessage('invalid_option', { field: 'quality', rule: 'one of fast, balanced, high' }),
      'Invalid quality: one of fast, balanced, high',
    );
    assert.equal(errorMessage('invalid_parameter', { name: 'force' }), 'force must be true or false');
    assert.equal(ERROR_TABLE.admissions_paused.message, 'Not taking new tasks right now, retry later');
    assert.equal(ERROR_TABLE.admissions_paused.status, 503);
    assert.deepEqual(ERROR_CODES.filter((code) => !isFixedErrorCode(code)).sort(), [
      'file_too_large',
      'format_failed',
      'invalid_option',
      'invalid_parameter',
      'mesh_compressed',
      'mesh_too_large',
      'mesh_too_many_faces',
      'task_not_completed',
      'unavailable_quality',
    ]);
  });

  void it('renders one Markdown row per code, pipes escaped, headers beside the status', () => {
    const lines = renderErrorTableMarkdown().split('\n');
    assert.equal(lines.length, ERROR_CODES.length + 2);
    assert.ok(
      lines.includes(
        '| `server_busy` | 503 + `Retry-After` | `Server busy, retry later` | ' +
          ERROR_TABLE.server_busy.when +
          ' |',
      ),
    );
    for (const line of lines.slice(2)) assert.equal(line.split(/(?<!\\)\|/).length, 6, line);
  });

  void it('rewrites only the marked block, and refuses a document that lost its markers', () => {
    const doc = 'before\n<!-- t:begin (old note) -->\nold\n<!-- t:end -->\nafter\n';
    const out = replaceMarkedBlock(doc, 't', 'new');
    assert.match(out, /^before\n<!-- t:begin \(generated from [^\n]+-->\nnew\n<!-- t:end -->\nafter\n$/);
    assert.equal(replaceMarkedBlock(out, 't', 'new'), out);
    assert.throws(() => replaceMarkedBlock('no markers', 't', 'x'), /markers are missing/);
  });
});
