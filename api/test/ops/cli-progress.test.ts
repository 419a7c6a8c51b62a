import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/env';

interface Progress {
  describeSnapshot(snapshot: Record<string, unknown>): string;
}

/** cli/lib/progress.mjs, the CLI's own module (an ES module: imported at run time). */
async function progress(): Promise<Progress> {
  return (await import(pathToFileURL(join(REPO_ROOT, 'cli', 'lib', 'progress.mjs')).href)) as Progress;
}

void describe("the CLI's one-line state (cli/lib/progress.mjs describeSnapshot)", () => {
  void it('a queued task: its place and its expected wait, never "~0 s"', async () => {
    const { describeSnapshot } = await progress();
    assert.equal(describeSnapshot({ status: 'queued', position: 2, eta_s: 40.4 }), 'queued #2 (~40 s)');
    assert.equal(describeSnapshot({ status: 'queued', position: 1, eta_s: 0.6 }), 'queued #1 (~1 s)');
    assert.equal(describeSnapshot({ status: 'queued', position: 1, eta_s: 0.2 }), 'queued #1 (< 1 s)');
    assert.equal(describeSnapshot({ status: 'queued', position: 3 }), 'queued #3');
  });

  void it('processing, completed and failed', async () => {
    const { describeSnapshot } = await progress();
    assert.equal(
      describeSnapshot({ status: 'processing', stage: 'geometry', progress: 54.6 }),
      'geometry 55%',
    );
    assert.equal(describeSnapshot({ status: 'completed' }), 'completed');
    assert.equal(describeSnapshot({ status: 'failed', error: 'Task cancelled' }), 'failed: Task cancelled');
  });
});
