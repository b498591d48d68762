--[[
line-watch: the places of the buyers watching a sale's events on one instance, in one call (about once a
second per sale and instance); an open event stream counts as a heartbeat for a waiting buyer.

KEYS[1] {sale:<id>}:line           zset: waiting userId -> order key
KEYS[2] {sale:<id>}:line:admitted  zset: admitted userId -> admission expiry (ms)
KEYS[3] {sale:<id>}:line:seen      zset: waiting userId -> last seen (ms)
KEYS[4] {sale:<id>}:line:state     hash: ... rate, closed (reason)
ARGV[1] admissions per second unless an operator set the line's own rate
ARGV[2..] the watching buyers' userIds

Returns {closed reason or "", ratePerSecond, one entry per buyer: "w<ahead>" waiting, "a<expiresAtMs>"
        admitted, "x" not in line}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = { redis.call('HGET', KEYS[4], 'closed') or '', redis.call('HGET', KEYS[4], 'rate') or ARGV[1] }
for i = 2, #ARGV do
  local u = ARGV[i]
  local rank = redis.call('ZRANK', KEYS[1], u)
  if rank then
    redis.call('ZADD', KEYS[3], now, u)
    out[#out + 1] = 'w' .. rank
  else
    local expires = tonumber(redis.call('ZSCORE', KEYS[2], u) or '0')
    out[#out + 1] = expires > now and ('a' .. expires) or 'x'
  end
end
return out
