--[[
attempts-append: the checkout attempts refused before any sale script runs (no sale open, or the item's sale
not started yet), several in one call: one stream entry each, in the order given, stamped with Redis's
clock like the entries checkout.lua writes. One script call instead of one XADD per attempt: the requests
of one event-loop turn share it.

KEYS[1] flashsale:attempts  stream: one entry per attempt (u user, i item, r result, t ms, s sale when known)
ARGV[4k+1] .. ARGV[4k+4]   user id, item id, result and sale id ('' for none) of the k-th attempt (k = 0, 1, ...)

Returns the number of entries added
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = 0
for i = 1, #ARGV - 3, 4 do
  if ARGV[i + 3] == '' then
    redis.call('XADD', KEYS[1], '*', 'u', ARGV[i], 'i', ARGV[i + 1], 'r', ARGV[i + 2], 't', now)
  else
    redis.call('XADD', KEYS[1], '*', 'u', ARGV[i], 'i', ARGV[i + 1], 'r', ARGV[i + 2], 't', now, 's', ARGV[i + 3])
  end
  added = added + 1
end
return added
