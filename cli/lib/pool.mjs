import pLimit from 'p-limit';

/**
 * Runs `work` on every item with at most `limit` calls in flight at once, in the items' order of
 * start (p-limit's queue); resolves when all have ended. `work` must catch what it wants to
 * survive: the first rejection rejects the whole and empties the queue, so no item is started
 * after it (the calls already in flight end unawaited).
 * @template T
 * @param {readonly T[]} items
 * @param {number} limit how many at once (1 or more)
 * @param {(item: T, index: number) => Promise<void>} work
 * @returns {Promise<void>}
 */
export async function forEachAtMost(items, limit, work) {
  const run = pLimit(limit);
  await Promise.all(
    items.map((item, index) =>
      run(async () => {
        try {
          await work(item, index);
        } catch (error) {
          run.clearQueue();
          throw error;
        }
      }),
    ),
  );
}
