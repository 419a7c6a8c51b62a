/** Lua run inside Redis so that admission is one atomic step across every api process. */

/** KEYS: admission. ARGV: limit, score (ms), taskId. 1 = admitted, 0 = full. */
export const RESERVE_SLOT_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
`;

/**
 * Drops reservations that no live task holds: admitted more than the grace period ago and
 * whose task is finished or gone (an api that died between reserving and enqueueing).
 * KEYS: admission. ARGV: task key prefix, cutoff score (ms). Returns how many were dropped.
 */
export const RECONCILE_SLOTS_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local dropped = 0
for _, id in ipairs(ids) do
  local status = redis.call('HGET', ARGV[1] .. id, 'status')
  if (not status) or status == 'completed' or status == 'failed' then
    redis.call('ZREM', KEYS[1], id)
    dropped = dropped + 1
  end
end
return dropped
`;
