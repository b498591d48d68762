--[[
attempts-log: record checkout attempts answered without checkout.lua (items this instance already knows are
sold out) exactly as checkout.lua records its own: one entry in the sale's attempts stream each, and the
dashboard's tally per result. The attempts of one turn of the app's event loop come in one call.

KEYS[1] {sale:<id>}:attempts   stream: one entry per attempt (u user, i item, r result, t ms)
KEYS[2] {sale:<id>}:stats      hash: counters for the dashboard ("c:<result>" per checkout result)
ARGV[3k+1], ARGV[3k+2], ARGV[3k+3]  user id, item id, result of the k-th attempt (k = 0, 1, ...)

Returns the number of attempts recorded
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tally = {}
local n = 0
for i = 1, #ARGV - 2, 3 do
  local result = ARGV[i + 2]
  redis.call('XADD', KEYS[1], '*', 'u', ARGV[i], 'i', ARGV[i + 1], 'r', result, 't', now)
  tally[result] = (tally[result] or 0) + 1
  n = n + 1
end
for result, count in pairs(tally) do
  redis.call('HINCRBY', KEYS[2], 'c:' .. result, count)
end
return n
