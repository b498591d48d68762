--[[
rate-limit-batch: several requests, each against its own windows, in one atomic step: exactly as one
rate-limit.lua call per request, one after the other in the order given (lib/rate-limit.lua), with one round
trip for all. Only where every window lives on one server: on a Cluster a request's windows may sit in
different slots, and those requests go through rate-limit.lua one by one.

KEYS[i]      the windows of every request in turn ({rl:<group>:<ip|user>:<value>}, the sorted sets of
             rate-limit.lua); a request's windows are the next w keys
ARGV[1]      how many requests
then, per request: its unique id, its number of windows w, then w pairs: the window's limit, its length (ms)

Returns, per request in order, what rate-limit.lua returns for it, all in one flat list:
        allowed (1|0), then remaining and resetMs for each of its windows
]]
--@include lib/rate-limit.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local out = {}
local arg, key = 2, 1
for _ = 1, tonumber(ARGV[1]) do
  local id, w = ARGV[arg], tonumber(ARGV[arg + 1])
  arg = arg + 2
  local keys, limits, windows = {}, {}, {}
  for i = 1, w do
    keys[i] = KEYS[key]
    key = key + 1
    limits[i] = tonumber(ARGV[arg])
    windows[i] = tonumber(ARGV[arg + 1])
    arg = arg + 2
  end
  for _, v in ipairs(rate_limit_hit(keys, limits, windows, id, now)) do out[#out + 1] = v end
end
return out
