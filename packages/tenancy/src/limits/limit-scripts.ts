/*
 * The limiter's Lua, one script per check so each decision is atomic across every API
 * process. Window limits are GCRA (a token bucket kept as one "theoretical arrival time"
 * per limit): a key may spend its whole per-minute limit in a burst, and capacity returns
 * continuously at limit/60 s, so a refusal knows exactly when the next unit frees up.
 * One string per limit, whatever the traffic; a sliding log would hold one entry per
 * request. Times are unix milliseconds with microsecond decimals; ARGV[1] is the caller's
 * clock (tests) or empty, for Redis's own TIME, the one clock all processes share.
 */

const COMMON = `
local PERIOD = 60000
local DAY = 86400000
local EPS = 0.001
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(value) return string.format('%.3f', value) end
local function used(tat, now, interval)
  local units = math.ceil((tat - now) / interval - EPS)
  if units < 0 then return 0 end
  return units
end
-- One GCRA step: allowed?, units in use, ms until the bucket is full again, ms until the cost fits, the new arrival time.
local function gcra(key, now, limit, cost)
  local interval = PERIOD / limit
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local after = tat + cost * interval
  if after - now > PERIOD + EPS then
    return false, used(tat, now, interval), tat - now, after - PERIOD - now, tat
  end
  return true, used(after, now, interval), after - now, 0, after
end
local function store(key, tat, now)
  redis.call('SET', key, fmt(tat), 'PX', math.ceil(tat - now) + 1000)
end
`;

/**
 * One request against requests-per-minute.
 * KEYS[1] the key's request cell; ARGV: now or '', limit.
 * Reply: {allowed 1|0, used, reset ms, retry ms}.
 */
export const REQUEST_SCRIPT = `${COMMON}
local now = clock(ARGV[1])
local ok, inUse, reset, retry, tat = gcra(KEYS[1], now, tonumber(ARGV[2]), 1)
if ok then store(KEYS[1], tat, now) end
return {ok and 1 or 0, inUse, fmt(reset), fmt(retry)}
`;

/**
 * One new job of `n` images: images per minute, the day's quota and a concurrency slot,
 * checked together and taken together, so a refusal spends nothing. A limit of 0 is no limit.
 * KEYS: image cell, daily hash {day, count}, slots (sorted set of job ids scored by lease end).
 * ARGV: now or '', images limit, n, daily limit, slots limit, job id, lease ms.
 * Reply: {verdict, used, reset ms, retry ms} where verdict is `ok`, `images`, `quota` or `jobs`;
 * `ok` adds images used, images reset ms, images used today and slots held.
 */
export const ADMIT_SCRIPT = `${COMMON}
local now = clock(ARGV[1])
local imagesLimit, n, dailyLimit, slotsLimit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local imagesUsed, imagesReset, imagesTat = 0, 0, nil
if imagesLimit > 0 then
  local ok, inUse, reset, retry, tat = gcra(KEYS[1], now, imagesLimit, n)
  if not ok then return {'images', inUse, fmt(reset), fmt(retry)} end
  imagesUsed, imagesReset, imagesTat = inUse, reset, tat
end
local day = math.floor(now / DAY)
local today = 0
if dailyLimit > 0 then
  local stored = redis.call('HMGET', KEYS[2], 'day', 'count')
  if tonumber(stored[1]) == day then today = tonumber(stored[2]) or 0 end
  if today + n > dailyLimit then return {'quota', today, fmt((day + 1) * DAY - now), '0'} end
end
local held = 0
if slotsLimit > 0 then
  -- Slots whose lease ran out belonged to jobs nobody released (a worker lost with them).
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', fmt(now))
  held = redis.call('ZCARD', KEYS[3])
  if not redis.call('ZSCORE', KEYS[3], ARGV[6]) and held >= slotsLimit then return {'jobs', held, '0', '0'} end
end
if imagesTat then store(KEYS[1], imagesTat, now) end
if dailyLimit > 0 then
  redis.call('HSET', KEYS[2], 'day', day, 'count', today + n)
  -- Relative, so the key lapses a minute after its day on any clock the caller counts by.
  redis.call('PEXPIRE', KEYS[2], math.ceil((day + 1) * DAY - now) + PERIOD)
  today = today + n
end
if slotsLimit > 0 then
  local lease = tonumber(ARGV[7])
  redis.call('ZADD', KEYS[3], fmt(now + lease), ARGV[6])
  redis.call('PEXPIRE', KEYS[3], lease)
  held = redis.call('ZCARD', KEYS[3])
end
return {'ok', imagesUsed, fmt(imagesReset), '0', today, held}
`;
