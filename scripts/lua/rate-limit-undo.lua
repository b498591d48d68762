--[[
rate-limit-undo: take one request back out of the windows that let it through, when another window (in
another Cluster slot, checked by a separate rate-limit.lua call) refused it: a refused request counts nowhere.

KEYS[i]      {rl:<group>:<ip|user>:<value>}   sorted set of rate-limit.lua
ARGV[1]      the request's id, as given to rate-limit.lua

Returns the number of windows it was removed from.
]]
-- Like rate-limit.lua, which added it: windows are neither logged to the AOF nor sent to replicas.
redis.set_repl(redis.REPL_NONE)
local removed = 0
for i = 1, #KEYS do
  removed = removed + redis.call('ZREM', KEYS[i], ARGV[1])
end
return removed
