--[[
rate-limit: one request against one or more sliding windows (per client IP, per user), in one atomic step.
Each window is a sorted set of the request times it let through; the request passes only if every window
has room, and then counts in all of them. Refused requests count nowhere, so a client that backs off gets
through again as soon as the window allows.

KEYS[i]      {rl:<group>:<ip|user>:<value>}   sorted set: request id -> time (ms) it was let through
             (each window has its own hash tag, so limiter traffic spreads over a Cluster's shards; on a
             Cluster the caller sends the windows of one slot per call and undoes a partial pass with
             rate-limit-undo.lua)
ARGV[1]      a unique id for this request
ARGV[2i]     the limit of window i (requests)
ARGV[2i+1]   the length of window i (ms)

Returns {allowed (1|0), remaining_1, resetMs_1, remaining_2, resetMs_2, ...}
        resetMs: how long until the window frees a place (its oldest request leaves it)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local allowed = 1
local counts = {}
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  counts[i] = redis.call('ZCARD', KEYS[i])
  if counts[i] >= tonumber(ARGV[2 * i]) then allowed = 0 end
end

local out = { allowed }
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  if allowed == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], window)
    counts[i] = counts[i] + 1
  end
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local reset = window
  if oldest[2] then reset = tonumber(oldest[2]) + window - now end
  out[#out + 1] = math.max(0, limit - counts[i])
  out[#out + 1] = reset
end
return out
