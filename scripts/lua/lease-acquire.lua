--[[
lease-acquire: take a time-limited lease if it is free, or extend it if this holder has it; never take
someone else's. Used for background work that should run on one instance at a time.

KEYS[1] flashsale:lease:<name>   string: the holder's id
ARGV[1] holder id
ARGV[2] time to live (ms)

Returns 1 when the caller holds the lease now, 0 when another holder has it.
]]
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
