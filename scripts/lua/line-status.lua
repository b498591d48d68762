--[[
line-status: what an operator sees of a sale's line (line:status), or sets (line:rate), in one atomic read.

KEYS[1] {sale:<id>}:line           zset: waiting userId -> order key
KEYS[2] {sale:<id>}:line:admitted  zset: admitted userId -> admission expiry (ms)
KEYS[3] {sale:<id>}:line:state     hash: ... rate, closed (reason), admittedTotal
KEYS[4] {sale:<id>}:line:waits     list: the latest waits from joining to admission (ms)
ARGV[1] admissions per second unless an operator set the line's own rate
ARGV[2] a new rate for the line (line:rate), or "" to only read
ARGV[3] when the line's keys expire (ms since the epoch)

Returns {waiting, admitted now (unexpired), ratePerSecond, closed reason or "", admitted in all, "ms,ms,..." latest waits}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[3], 'rate', ARGV[2])
  redis.call('PEXPIREAT', KEYS[3], ARGV[3])
end
local s = redis.call('HMGET', KEYS[3], 'rate', 'closed', 'admittedTotal')
return {
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'),
  s[1] or ARGV[1],
  s[2] or '',
  tonumber(s[3] or '0'),
  table.concat(redis.call('LRANGE', KEYS[4], 0, -1), ','),
}
