--[[
sale-pause: pause or resume a loaded sale. Checkout and purchase read the flag inside their own scripts,
so a pause takes effect between two requests, never in the middle of one. Every switch is counted, so a repair
decided on an earlier read (the sale keeper's) can be made only if no one switched the sale since.

KEYS[1] {sale:<id>}:meta     hash: ... paused ("1" while paused), switches (switches made so far)
KEYS[2] {sale:<id>}:events:db<n> shard channel (SPUBLISH): "paused" or "resumed"
ARGV[1] "1" to pause, "0" to resume
ARGV[2] optional: the switches the caller saw; the switch is made only if the count is still that

Returns 1 when done, 0 when the sale is not loaded, 2 when it was switched since the caller's read (nothing done).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] and (redis.call('HGET', KEYS[1], 'switches') or '0') ~= ARGV[2] then return 2 end
redis.call('HINCRBY', KEYS[1], 'switches', 1)
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'paused', '1')
  redis.call('SPUBLISH', KEYS[2], 'paused')
else
  redis.call('HDEL', KEYS[1], 'paused')
  redis.call('SPUBLISH', KEYS[2], 'resumed')
end
return 1
