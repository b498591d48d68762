--[[
sale-pause: pause or resume a loaded sale. Checkout and purchase read the flag inside their own scripts,
so a pause takes effect between two requests, never in the middle of one.

KEYS[1] {sale:<id>}:meta     hash: ... paused ("1" while paused)
KEYS[2] {sale:<id>}:events:db<n> shard channel (SPUBLISH): "paused" or "resumed"
ARGV[1] "1" to pause, "0" to resume

Returns 1 when done, 0 when the sale is not loaded.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'paused', '1')
  redis.call('SPUBLISH', KEYS[2], 'paused')
else
  redis.call('HDEL', KEYS[1], 'paused')
  redis.call('SPUBLISH', KEYS[2], 'resumed')
end
return 1
