/**
 * Lua run inside Redis so that a task change, its event id, its TTL, the release of its queue
 * slot and its pub/sub message happen as one step, whichever api process makes it. The ETA
 * (the expected durations of the jobs ahead, per quality) is computed here and nowhere else.
 */
import { MESH_SUFFIX } from '../../redis/redis-keys';

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
  -- A completed task lives no longer than its model files (RETENTION_HOURS): never a
  -- \`completed\` record naming files the cleanup deleted.
  if snap['status'] == 'completed' and COMPLETED_TTL and COMPLETED_TTL < ttl then ttl = COMPLETED_TTL end
  redis.call('EXPIRE', taskKey, ttl)
  -- Its voxel preview goes with it (saved with the unfinished task's TTL).
  if snap['status'] == 'completed' and PREVIEW_PREFIX then redis.call('EXPIRE', PREVIEW_PREFIX .. taskId, ttl) end
  if release == '1' then
    redis.call('ZREM', ADMISSION_KEY, taskId)
    redis.call('HDEL', ADMISSION_CLIENTS_KEY, taskId)
  end
  if dropImage == '1' then redis.call('DEL', IMAGE_PREFIX .. taskId, IMAGE_PREFIX .. taskId .. MESH_SUFFIX) end
  redis.call('PUBLISH', channel, seq .. '\\n' .. taskId .. '\\n' .. out)
  return { seq, snap['status'] }
end
`;

/**
 * A shared job (docs/design.md, Instant repeats): its id is its first task's id (the Bull job id,
 * the key of its slot, picture and preview); `kiln:job:{jobId}` is the set of the tasks following
 * it, which exists only once a repeat has followed it (absent: the job's one task is its id).
 * members(jobId): the ids its events go to. endJob(jobId): its slot (admission + client entry),
 * its picture and its live repeat keys (the job's hash field repeat_keys, those still naming it)
 * go, in the step that ended it; its set stays (as long as a task: it names the completed task a
 * repeat key is to name). mergeJob: merge() on every member, each with its own event
 * id and publish; the slot and picture go once, when any member changed. Returns { seq of the
 * first member changed (0 none, -1 no member exists), status }: the status the change led to,
 * else 'completed' when a member is completed (its files are kept), else the first member's.
 * Needs TASK_PREFIX, JOB_PREFIX, LIVE_PREFIX, ADMISSION_KEY, ADMISSION_CLIENTS_KEY, IMAGE_PREFIX.
 */
const JOB = `
local function members(jobId)
  local ids = redis.call('SMEMBERS', JOB_PREFIX .. jobId)
  if #ids == 0 then ids = { jobId } end
  return ids
end
local function endJob(jobId)
  redis.call('ZREM', ADMISSION_KEY, jobId)
  if ADMISSION_CLIENTS_KEY ~= '' then redis.call('HDEL', ADMISSION_CLIENTS_KEY, jobId) end
  local keys = redis.call('HGET', TASK_PREFIX .. jobId, 'repeat_keys')
  if keys then
    for key in string.gmatch(keys, '[^,]+') do
      if redis.call('GET', LIVE_PREFIX .. key) == jobId then redis.call('DEL', LIVE_PREFIX .. key) end
    end
  end
end
local function mergeJob(jobId, patch, ttl, channel, allowed, release, dropImage)
  local first = -1
  local changedTo = nil
  local completed = false
  local firstStatus = ''
  for _, id in ipairs(members(jobId)) do
    local r = merge(TASK_PREFIX .. id, id, patch, ttl, channel, allowed, '0', '0')
    if r[1] > 0 then
      if first <= 0 then first = r[1] end
      changedTo = r[2]
    elseif r[1] == 0 and first < 0 then
      first = 0
    end
    if r[2] == 'completed' then completed = true end
    if firstStatus == '' then firstStatus = r[2] end
  end
  if changedTo then
    if release == '1' then endJob(jobId) end
    if dropImage == '1' then redis.call('DEL', IMAGE_PREFIX .. jobId, IMAGE_PREFIX .. jobId .. MESH_SUFFIX) end
    return { first, changedTo }
  end
  if completed then return { first, 'completed' } end
  return { first, firstStatus }
end
`;

/**
 * The ARGV layout both job scripts take (UPDATE_TASK_LUA, CANCEL_TASK_LUA; TaskStore.runJobScript),
 * and the helpers they share. KEYS: the task (the job's first task for an update), admission,
 * admission clients. ARGV: task or job id, patch JSON, ttl s, channel, allowed statuses (comma
 * list), release ('1' or '0'), drop image ('1' or '0'), image key prefix, task key prefix, job key
 * prefix, live repeat key prefix, ttl s of a task the change completes (RETENTION_HOURS, when
 * shorter than the ttl), preview key prefix (a completed task's preview takes its ttl).
 */
const JOB_SCRIPT = `
local ADMISSION_KEY = KEYS[2]
local ADMISSION_CLIENTS_KEY = KEYS[3]
local IMAGE_PREFIX = ARGV[8]
local MESH_SUFFIX = '${MESH_SUFFIX}'
local TASK_PREFIX = ARGV[9]
local JOB_PREFIX = ARGV[10]
local LIVE_PREFIX = ARGV[11]
local COMPLETED_TTL = tonumber(ARGV[12])
local PREVIEW_PREFIX = ARGV[13]
${MERGE}
${JOB}
`;

/**
 * A job event (TaskLifecycle.apply), applied to the job and every task following it (mergeJob).
 * KEYS and ARGV: JOB_SCRIPT's, with the job's id. Returns { seq, status }.
 */
export const UPDATE_TASK_LUA = `${JOB_SCRIPT}
return mergeJob(ARGV[1], cjson.decode(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`;

/**
 * `cancel` of one task (TaskLifecycle.cancel): the patch goes to that task alone, which leaves its
 * job's set in the same step; when no task follows the job any more (or the task was its job's
 * only one) the job ends with it (endJob: slot, picture, live repeat keys) and its id is returned
 * for the caller to remove its Bull job or abort it and remove its files.
 * KEYS and ARGV: JOB_SCRIPT's, with the task's id (release and drop image unused: the job's
 * end decides them). Returns { seq, status, the ended job's id or '' }.
 */
export const CANCEL_TASK_LUA = `${JOB_SCRIPT}
local jobId = redis.call('HGET', KEYS[1], 'job') or ARGV[1]
local r = merge(KEYS[1], ARGV[1], cjson.decode(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], '0', '0')
if r[1] <= 0 then return { r[1], r[2], '' } end
local jobKey = JOB_PREFIX .. jobId
if redis.call('EXISTS', jobKey) == 1 then
  redis.call('SREM', jobKey, ARGV[1])
  if redis.call('SCARD', jobKey) > 0 then return { r[1], r[2], '' } end
end
endJob(jobId)
redis.call('DEL', IMAGE_PREFIX .. jobId, IMAGE_PREFIX .. jobId .. MESH_SUFFIX)
return { r[1], r[2], jobId }
`;

/**
 * `follow` (a repeat's new task joins an unfinished job): stores the task with a copy of the job's
 * current record (the first member in one of the statuses it may join: status, position, ETA, progress,
 * stage, preview, model id, options) under its own id, times (a running job's start becomes the
 * task's creation) and token hash, names the job in its
 * hash (field `job`, never in the snapshot) and adds it to the job's set (made with the job's
 * first task when the job had none), all in one step. No slot, no picture, no Bull job.
 * KEYS: the new task. ARGV: its id, jobId, its own fields (JSON: task_id, created_at, updated_at),
 * its token hash, ttl s, task key prefix, job key prefix, the statuses it may join (comma list:
 * task-transitions.ts FOLLOW.joins).
 * Returns 1 when followed, 0 when the job is finished or gone (nothing written).
 */
export const FOLLOW_JOB_LUA = `
local jobKey = ARGV[7] .. ARGV[2]
local ids = redis.call('SMEMBERS', jobKey)
local fresh = #ids == 0
if fresh then ids = { ARGV[2] } end
local source = nil
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', ARGV[6] .. id, 'snapshot')
  if raw then
    local snap = cjson.decode(raw)
    for s in string.gmatch(ARGV[8], '[^,]+') do
      if snap['status'] == s and not source then source = snap end
    end
  end
end
if not source then return 0 end
if fresh then redis.call('SADD', jobKey, ARGV[2]) end
redis.call('SADD', jobKey, ARGV[1])
redis.call('EXPIRE', jobKey, tonumber(ARGV[5]))
local own = cjson.decode(ARGV[3])
for k, v in pairs(own) do source[k] = v end
-- A running job's start predates this task: it starts with its own creation (a start before it
-- would tell that someone else sent the picture first).
if source['started_at'] then source['started_at'] = own['created_at'] end
redis.call('HSET', KEYS[1], 'snapshot', cjson.encode(source), 'status', source['status'], 'seq', 1,
  'token', ARGV[4], 'job', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
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
 * without options) or, for a texturing task (snapshot `kind`), a texturing job's, shared among the
 * live workers. With one worker and one preset throughout this is position x its mean.
 * KEYS: Bull wait list, admission, Bull active list, live workers (sorted set, lapse time ms).
 * ARGV: task key prefix, ttl s, channel, expected seconds per quality and of `texture` (JSON object), expected
 * seconds of any job, updated_at ISO string, Bull job key prefix, now (ms), the return-to-queue
 * patch (JSON object), job key prefix. Each job's figures go to every task following it (mergeJob).
 */
export const REFRESH_POSITIONS_LUA = `
local ADMISSION_KEY = KEYS[2]
local ADMISSION_CLIENTS_KEY = ''
local IMAGE_PREFIX = ''
local MESH_SUFFIX = ''
local TASK_PREFIX = ARGV[1]
local JOB_PREFIX = ARGV[10]
local LIVE_PREFIX = ''
local COMPLETED_TTL = nil
local PREVIEW_PREFIX = nil
${MERGE}
${JOB}
local expected = cjson.decode(ARGV[4])
local anyS = tonumber(ARGV[5])
local function expectedOf(id)
  local raw = redis.call('HGET', ARGV[1] .. id, 'snapshot')
  if not raw then return anyS end
  local snapshot = cjson.decode(raw)
  if snapshot['kind'] == 'texture' then return tonumber(expected['texture']) or anyS end
  local options = snapshot['options']
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
  if mergeJob(id, patch, tonumber(ARGV[2]), ARGV[3], 'queued,processing', '0', '0')[1] > 0 then
    changed = changed + 1
  end
  ahead = ahead + expectedOf(id)
end
return changed
`;

/**
 * The cleanup deleted some models' files (TaskStore.forgetCompleted): each task among KEYS that is
 * `completed` and names one of those models (its snapshot's `model_id`, else its task id: a task
 * stored before model ids) is deleted with its voxel preview and its job's (the preview route of a
 * task following a job reads the job's), in one step per task, so no `completed` record is left
 * naming deleted files: the same end state as a record whose TTL ran out (404 task_not_found).
 * Unfinished and failed tasks are left alone (an unfinished one names files not made yet). No
 * event is published, as none is when a TTL runs out: a finished task's streams have ended.
 * KEYS: task hashes. ARGV: preview key prefix, then the model ids. Returns the ids deleted.
 */
export const FORGET_COMPLETED_LUA = `
local models = {}
for i = 2, #ARGV do models[ARGV[i]] = true end
local forgotten = {}
for _, key in ipairs(KEYS) do
  local raw = redis.call('HGET', key, 'snapshot')
  if raw then
    local snap = cjson.decode(raw)
    local model = snap['model_id']
    if type(model) ~= 'string' then model = snap['task_id'] end
    if snap['status'] == 'completed' and models[model] then
      local job = redis.call('HGET', key, 'job') or snap['task_id']
      redis.call('DEL', key, ARGV[1] .. snap['task_id'], ARGV[1] .. job)
      table.insert(forgotten, snap['task_id'])
    end
  end
end
return forgotten
`;
