/** Lua run inside Redis so that admission is one atomic step across every api process. */

/**
 * Takes a slot, checking the queue first, then the client's own share of it.
 * KEYS: admission, admission clients (hash task id -> client key), live workers (sorted set:
 * worker id -> heartbeat lapse time, ms).
 * ARGV: waiting limit (MAX_QUEUE), score (now, ms), taskId, client key ('' = not counted),
 * per-client limit (0 = none; -1 = half the capacity, rounded down, at least 1), '1' for a dry run
 * (the verdict only: nothing is added, for an upload that has not been decoded yet).
 * Slots = one running per live worker (at least one, so tasks wait while every worker restarts)
 * + MAX_QUEUE waiting.
 * 1 = admitted (or already held; a dry run: would be), 0 = full (503: nobody gets in, whoever
 * asks), -1 = this client already holds its limit of unfinished tasks (429). The queue is judged
 * first, so a full queue answers 503 to everyone, the client over its share included. A client's count is its entries whose task
 * still holds a slot, so it drops the moment a slot goes (task end, release, reconcile); entries
 * of gone slots are pruned here, at most capacity + the tasks finished since the last admission.
 */
export const RESERVE_SLOT_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 1 end
local workers = redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[2], '+inf')
if workers < 1 then workers = 1 end
if redis.call('ZCARD', KEYS[1]) >= workers + tonumber(ARGV[1]) then return 0 end
local mine = 0
local owners = redis.call('HGETALL', KEYS[2])
for i = 1, #owners, 2 do
  if not redis.call('ZSCORE', KEYS[1], owners[i]) then
    redis.call('HDEL', KEYS[2], owners[i])
  elseif owners[i + 1] == ARGV[4] then
    mine = mine + 1
  end
end
local limit = tonumber(ARGV[5])
if limit < 0 then limit = math.max(1, math.floor((workers + tonumber(ARGV[1])) / 2)) end
if ARGV[4] ~= '' and limit > 0 and mine >= limit then return -1 end
if ARGV[6] == '1' then return 1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return 1
`;

/**
 * Reconciles the slots admitted more than the grace period ago (score <= cutoff):
 * - a slot whose task is finished or gone (an api that died between reserving and storing the
 *   task) is dropped, unless tasks still follow its job (`kiln:job:{id}`: the first task was
 *   cancelled, the job runs on for repeats that follow it);
 * - a task still `queued`, unchanged since the cutoff (updated_at, an ISO string, so compared as
 *   text) and with no Bull job (its job id is the task id) is orphaned: an api died between
 *   storing it and adding its job, or between a shutdown's removal of its job and the re-add.
 *   Its id is returned for the caller to enqueue again; its slot is kept.
 * KEYS: admission. ARGV: task key prefix, cutoff score (ms), cutoff ISO string, Bull job key
 * prefix, shared job key prefix.
 * Returns { dropped count, orphaned task id... }.
 */
export const RECONCILE_SLOTS_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local result = { 0 }
for _, id in ipairs(ids) do
  local status = redis.call('HGET', ARGV[1] .. id, 'status')
  if ((not status) or status == 'completed' or status == 'failed') and redis.call('SCARD', ARGV[5] .. id) == 0 then
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
