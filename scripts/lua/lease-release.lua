--[[
lease-release: give a lease back, only if this holder has it.

KEYS[1] flashsale:lease:<name>   string: the holder's id
ARGV[1] holder id

Returns 1 when released, 0 when the caller did not hold it.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
