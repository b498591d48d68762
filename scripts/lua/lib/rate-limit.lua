--[[
lib/rate-limit: one request against its sliding windows, shared by rate-limit.lua (one request) and
rate-limit-batch.lua (several in turn), which include this file with the line "--@include lib/rate-limit.lua".
Not a script of its own.

Defines
  rate_limit_hit(keys, limits, windows, id, now) -> {allowed (1|0), remaining_1, resetMs_1, ...}
      keys[i] is a window's sorted set (request id -> time in ms it was let through), limits[i] its limit,
      windows[i] its length in ms. The request passes only if every window has room, and then counts in all
      of them; a refused request counts nowhere. resetMs: how long until the window frees a place.
]]
local function rate_limit_hit(keys, limits, windows, id, now)
  local allowed = 1
  local counts = {}
  for i = 1, #keys do
    redis.call('ZREMRANGEBYSCORE', keys[i], '-inf', now - windows[i])
    counts[i] = redis.call('ZCARD', keys[i])
    if counts[i] >= limits[i] then allowed = 0 end
  end

  local out = { allowed }
  for i = 1, #keys do
    if allowed == 1 then
      redis.call('ZADD', keys[i], now, id)
      redis.call('PEXPIRE', keys[i], windows[i])
      counts[i] = counts[i] + 1
    end
    local oldest = redis.call('ZRANGE', keys[i], 0, 0, 'WITHSCORES')
    local reset = windows[i]
    if oldest[2] then reset = tonumber(oldest[2]) + windows[i] - now end
    out[#out + 1] = math.max(0, limits[i] - counts[i])
    out[#out + 1] = reset
  end
  return out
end
