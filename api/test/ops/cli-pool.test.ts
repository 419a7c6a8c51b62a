import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { REPO_ROOT, sleep } from '../support/env';

interface Pool {
  forEachAtMost<T>(
    items: readonly T[],
    limit: number,
    work: (item: T, index: number) => Promise<void>,
  ): Promise<void>;
}

/** cli/lib/pool.mjs, the CLI's own module (an ES module: imported at run time). */
async function pool(): Promise<Pool> {
  return (await import(pathToFileURL(join(REPO_ROOT, 'cli', 'lib', 'pool.mjs')).href)) as Pool;
}

void describe("the CLI's request pool (cli/lib/pool.mjs forEachAtMost)", () => {
  void it('starts the items in order, never more than the limit at once, and ends when all have', async () => {
    const { forEachAtMost } = await pool();
    const started: number[] = [];
    const ended: number[] = [];
    let inFlight = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 15, 2, 10, 1, 5];
    await forEachAtMost(delays, 3, async (delay, index) => {
      started.push(index);
      most = Math.max(most, ++inFlight);
      await sleep(delay);
      inFlight--;
      ended.push(index);
    });
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(most, 3);
    assert.deepEqual(
      [...ended].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.notDeepEqual(ended, started, 'the short ones ended first: they ran side by side');
  });

  void it('rejects with the first failure and starts nothing after it', async () => {
    const { forEachAtMost } = await pool();
    const started: number[] = [];
    await assert.rejects(
      forEachAtMost([0, 1, 2, 3, 4, 5], 2, async (item) => {
        started.push(item);
        await sleep(5);
        if (item === 1) throw new Error('refused');
      }),
      /refused/,
    );
    await sleep(50);
    assert.deepEqual(started, [0, 1, 2], 'item 0 ended first and started 2; then 1 failed');
  });
});
