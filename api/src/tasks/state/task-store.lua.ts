/**
 * Lua run inside Redis so that a task change, its event id, its TTL, the release of its queue
 * slot and its pub/sub message happen as one step, whichever api process makes it. The ETA
 * (the expected durations of the jobs ahead, per quality) is computed here and nowhere else.
 */

/**
 * merge(taskKey, taskId, patch, ttl, channel, allowed, release, dropImage) -> { seq, status }
 * Applies a patch when the task is unfinished and in one of `allowed` (comma list; '' = any
 * unfinished status). seq: the new event id, 0 when refused or nothing changed, -1 when the task
 * does not exist; status: the task's status after the call ('' when it does not exist).
 * With `release` the task's queue slot goes (admission + its client entry), with `dropImage` its
 * queued picture: both only when the change is made, in the same step (TaskLifecycle decides them).
 */
const MERGE = `
local function merge(taskKey, taskId, patch, ttl, channel, allowed, release, dropImage)
  local raw = redis.call('HGET', taskKey, 'snapshot')
  if not raw then return { -1, '' } end
  local snap = cjson.decode(raw)
  local status = snap['status']
  if status == 'completed' or status == 'failed' then return { 0, status } end
  if allowed ~= '' then
    local ok = false
    for s in string.gmatch(allowed, '[^,]+') do
      if s == status then ok = true end
    end
    if not ok then return { 0, status } end
  end
  local changed = false
  for k, v in pairs(patch) do
    if k ~= 'updated_at' then
      if v == cjson.null then
        if snap[k] ~= nil then changed = true end
      elseif snap[k] ~= v then
        changed = true
      end
    end
  end
  if not changed then return { 0, status } end
  for k, v in pairs(patch) do
    if v == cjson.null then snap[k] = nil else snap[k] = v end
  end
  local seq = redis.call('HINCRBY', taskKey, 'seq', 1)
  local out = cjson.encode(snap)
  redis.call('HSET', taskKey, 'snapshot', out, 'status', snap['status'])
  redis.call('EXPIRE', taskKey, ttl)
  if release == '1' then
    redis.call('ZREM', ADMISSION_KEY, taskId)
    redis.call('HDEL', ADMISSION_CLIENTS_KEY, taskId)
  end
  if dropImage == '1' then redis.call('DEL', IMAGE_PREFIX .. taskId) end
  redis.call('PUBLISH', channel, seq .. '\\n' .. taskId .. '\\n' .. out)
  return { seq, snap['status'] }
end
`;

/**
 * KEYS: task, admission, admission clients. ARGV: taskId, patch JSON, ttl s, channel, allowed
 * statuses (comma list), release ('1' or '0'), drop image ('1' or '0'), image key prefix.
 * Returns { seq, status } (merge).
 */
export const UPDATE_TASK_LUA = `
local ADMISSION_KEY = KEYS[2]
local ADMISSION_CLIENTS_KEY = KEYS[3]
local IMAGE_PREFIX = ARGV[8]
${MERGE}
return merge(KEYS[1], ARGV[1], cjson.decode(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`;

/**
 * Publishes queue position and ETA to every waiting task. Bull pushes new jobs on the left of
 * its wait list and takes from the right, so the rightmost id runs next. Ahead of them come the
 * stalled jobs: still in Bull's active list but with their lock lapsed (no live worker holds
 * them: their api died), which Bull's stalled-job check pushes back on the right, to run next.
 * Every task listed here reads `queued`, also one whose snapshot still says `processing` (it
 * was running when its api died): the fields of a return to the queue (ARGV[9], TaskLifecycle's
 * BACK_IN_QUEUE) are applied with its position.
 * A task's ETA (seconds until it is expected to start) is the expected duration of the jobs
 * running now (active jobs whose lock is held; one job of any kind when none) plus those of the
 * tasks ahead of it, each by its own quality preset (task options; the mean of any job for a task
 * without options), shared among the live workers. With one worker and one preset throughout this
 * is position x its mean.
 * KEYS: Bull wait list, admission, Bull active list, live workers (sorted set, lapse time ms).
 * ARGV: task key prefix, ttl s, channel, expected seconds per quality (JSON object), expected
 * seconds of any job, updated_at ISO string, Bull job key prefix, now (ms), the return-to-queue
 * patch (JSON object).
 */
export const REFRESH_POSITIONS_LUA = `
local ADMISSION_KEY = KEYS[2]
local ADMISSION_CLIENTS_KEY = ''
local IMAGE_PREFIX = ''
${MERGE}
local expected = cjson.decode(ARGV[4])
local anyS = tonumber(ARGV[5])
local function expectedOf(id)
  local raw = redis.call('HGET', ARGV[1] .. id, 'snapshot')
  if not raw then return anyS end
  local options = cjson.decode(raw)['options']
  if type(options) ~= 'table' or type(options['quality']) ~= 'string' then return anyS end
  return tonumber(expected[options['quality']]) or anyS
end
local ids = {}
local ahead = 0
local running = 0
for _, id in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  if redis.call('EXISTS', ARGV[7] .. id .. ':lock') == 0 then
    table.insert(ids, id)
  else
    ahead = ahead + expectedOf(id)
    running = running + 1
  end
end
if running == 0 then ahead = anyS end
local waiting = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #waiting, 1, -1 do table.insert(ids, waiting[i]) end
local workers = redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[8], '+inf')
if workers < 1 then workers = 1 end
local changed = 0
for position, id in ipairs(ids) do
  local patch = cjson.decode(ARGV[9])
  patch['position'] = position
  patch['eta_s'] = math.floor(ahead / workers + 0.5)
  patch['updated_at'] = ARGV[6]
  if merge(ARGV[1] .. id, id, patch, tonumber(ARGV[2]), ARGV[3], 'queued,processing', '0', '0')[1] > 0 then
    changed = changed + 1
  end
  ahead = ahead + expectedOf(id)
end
return changed
`;
