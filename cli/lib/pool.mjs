/**
 * Runs `work` on every item with at most `limit` calls in flight at once, in the items' order of
 * start; resolves when all have ended. `work` must catch what it wants to survive: the first
 * rejection rejects the whole, and no item is started after it (the calls already in flight
 * end unawaited).
 * @template T
 * @param {readonly T[]} items
 * @param {number} limit how many at once (1 or more)
 * @param {(item: T, index: number) => Promise<void>} work
 * @returns {Promise<void>}
 */
export async function forEachAtMost(items, limit, work) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
