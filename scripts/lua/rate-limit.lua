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
--@include lib/rate-limit.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local limits, windows = {}, {}
for i = 1, #KEYS do
  limits[i] = tonumber(ARGV[2 * i])
  windows[i] = tonumber(ARGV[2 * i + 1])
end
return rate_limit_hit(KEYS, limits, windows, ARGV[1], now)
