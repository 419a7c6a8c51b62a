/**
 * Records one job duration (tasks/options/job-durations.ts) in one step across api processes: the
 * samples belong to the engine and device that measured them, so a sample from another profile
 * (a new GPU, another engine) first drops every series' samples (each quality's, texturing's);
 * each list keeps the newest DURATION_SAMPLES and expires DURATION_TTL_S after its last sample.
 * KEYS: profile, the series' list, then every series' list. ARGV: profile, seconds, samples
 * kept, ttl s. Returns 1 when the profile changed (samples dropped), else 0.
 */
export const RECORD_DURATION_LUA = `
local changed = 0
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
  changed = 1
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[4]))
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return changed
`;
