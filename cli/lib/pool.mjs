/**
 * Runs `work` on every item with at most `limit` calls in flight at once, in the items' order of
 * start; resolves when all have ended. `work` must catch what it wants to survive: the first
 * rejection rejects the whole (the calls already in flight go on, unawaited).
 * @template T
 * @param {readonly T[]} items
 * @param {number} limit how many at once (1 or more)
 * @param {(item: T, index: number) => Promise<void>} work
 * @returns {Promise<void>}
 */
export async function forEachAtMost(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
