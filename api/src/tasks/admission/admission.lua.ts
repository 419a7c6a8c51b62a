/** Lua run inside Redis so that admission is one atomic step across every api process. */

/**
 * KEYS: admission, live workers (sorted set: worker id -> heartbeat lapse time, ms).
 * ARGV: waiting limit (MAX_QUEUE), score (now, ms), taskId. 1 = admitted, 0 = full.
 * Slots = one running per live worker (at least one, so tasks wait while every worker restarts)
 * + MAX_QUEUE waiting.
 */
export const RESERVE_SLOT_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 1 end
local workers = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf')
if workers < 1 then workers = 1 end
if redis.call('ZCARD', KEYS[1]) >= workers + tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
`;

/**
 * Reconciles the slots admitted more than the grace period ago (score <= cutoff):
 * - a slot whose task is finished or gone (an api that died between reserving and storing the
 *   task) is dropped;
 * - a task still `queued`, unchanged since the cutoff (updated_at, an ISO string, so compared as
 *   text) and with no Bull job (its job id is the task id) is orphaned: an api died between
 *   storing it and adding its job, or between a shutdown's removal of its job and the re-add.
 *   Its id is returned for the caller to enqueue again; its slot is kept.
 * KEYS: admission. ARGV: task key prefix, cutoff score (ms), cutoff ISO string, Bull job key prefix.
 * Returns { dropped count, orphaned task id... }.
 */
export const RECONCILE_SLOTS_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local result = { 0 }
for _, id in ipairs(ids) do
  local status = redis.call('HGET', ARGV[1] .. id, 'status')
  if (not status) or status == 'completed' or status == 'failed' then
    redis.call('ZREM', KEYS[1], id)
    result[1] = result[1] + 1
  elseif status == 'queued' and redis.call('EXISTS', ARGV[4] .. id) == 0 then
    local snap = cjson.decode(redis.call('HGET', ARGV[1] .. id, 'snapshot'))
    if type(snap['updated_at']) == 'string' and snap['updated_at'] <= ARGV[3] then
      table.insert(result, id)
    end
  end
end
return result
`;
