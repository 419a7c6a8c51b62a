import type { Queue } from 'bull';

/**
 * Closes `queue` at once, without waiting for its running jobs, when its Redis connection is not
 * up; does nothing when it is.
 *
 * Why: Bull's `whenCurrentJobsFinished` (called by `pause(true)` and by the `close()` that
 * @nestjs/bull runs at shutdown) reconnects its blocking client and handles that promise only once
 * the running jobs' promises have settled. With Redis away the reconnection rejects first,
 * unhandled, and Node ends the process with code 1 instead of a clean stop (bull 4.16
 * lib/queue.js; OptimalBits/bull#1414 is the same family). `close(true)` takes the path whose
 * rejections Bull handles, and @nestjs/bull's later `close()` returns the same promise.
 * A job left running keeps its lock in Redis and comes back through Bull's stalled check.
 *
 * @param queue a Bull queue this process works on
 * @returns true when the queue was closed here (Redis was not reachable)
 */
export async function closeQueueIfRedisAway(queue: Queue): Promise<boolean> {
  if (queue.client.status === 'ready') return false;
  await queue.close(true);
  return true;
}
