/**
 * Lua run inside Redis so that a task change, its event id, its TTL, the release of its queue
 * slot and its pub/sub message happen as one step, whichever api process makes it. The ETA
 * (position x mean job duration) is computed here and nowhere else.
 */

/** merge(taskKey, admissionKey, taskId, patch, ttl, channel, allowedStatuses) -> seq | 0 | -1 */
const MERGE = `
local function merge(taskKey, admissionKey, taskId, patch, ttl, channel, allowed)
  local raw = redis.call('HGET', taskKey, 'snapshot')
  if not raw then return -1 end
  local snap = cjson.decode(raw)
  local status = snap['status']
  if status == 'completed' or status == 'failed' then return 0 end
  if allowed ~= '' then
    local ok = false
    for s in string.gmatch(allowed, '[^,]+') do
      if s == status then ok = true end
    end
    if not ok then return 0 end
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
  if not changed then return 0 end
  for k, v in pairs(patch) do
    if v == cjson.null then snap[k] = nil else snap[k] = v end
  end
  local seq = redis.call('HINCRBY', taskKey, 'seq', 1)
  local out = cjson.encode(snap)
  redis.call('HSET', taskKey, 'snapshot', out, 'status', snap['status'])
  redis.call('EXPIRE', taskKey, ttl)
  if snap['status'] == 'completed' or snap['status'] == 'failed' then
    redis.call('ZREM', admissionKey, taskId)
  end
  redis.call('PUBLISH', channel, seq .. '\\n' .. taskId .. '\\n' .. out)
  return seq
end
`;

/** KEYS: task, admission. ARGV: taskId, patch JSON, ttl s, channel, allowed statuses (comma list). */
export const UPDATE_TASK_LUA = `${MERGE}
return merge(KEYS[1], KEYS[2], ARGV[1], cjson.decode(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5])
`;

/**
 * Publishes queue position and ETA to every waiting task. Bull pushes new jobs on the left of
 * its wait list and takes from the right, so the rightmost id runs next (position 1).
 * KEYS: Bull wait list, admission, durations. ARGV: task key prefix, ttl s, channel,
 * default mean duration s, updated_at ISO string.
 */
export const REFRESH_POSITIONS_LUA = `${MERGE}
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local durations = redis.call('LRANGE', KEYS[3], 0, -1)
local mean = tonumber(ARGV[4])
if #durations > 0 then
  local sum = 0
  for _, d in ipairs(durations) do sum = sum + tonumber(d) end
  mean = sum / #durations
end
local n = #ids
local changed = 0
for i = n, 1, -1 do
  local position = n - i + 1
  local patch = { position = position, eta_s = math.floor(position * mean + 0.5), updated_at = ARGV[5] }
  if merge(ARGV[1] .. ids[i], KEYS[2], ids[i], patch, tonumber(ARGV[2]), ARGV[3], 'queued') > 0 then
    changed = changed + 1
  end
end
return changed
`;
