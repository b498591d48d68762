--[[
rate-limit-undo: take one request back out of the windows that let it through, when another window (in
another Cluster slot, checked by a separate rate-limit.lua call) refused it: a refused request counts nowhere.

KEYS[i]      {rl:<group>:<ip|user>:<value>}   sorted set of rate-limit.lua
ARGV[1]      the request's id, as given to rate-limit.lua
ARGV[2..]    the keys among KEYS (indices) that are replicated, as given to rate-limit.lua

Returns the number of windows it was removed from.
]]
-- Like rate-limit.lua, which added it: a window is logged to the AOF and sent to replicas only if replicated.
local replicated = {}
for i = 2, #ARGV do
  replicated[tonumber(ARGV[i])] = true
end
local removed = 0
for i = 1, #KEYS do
  redis.set_repl(replicated[i] and redis.REPL_ALL or redis.REPL_NONE)
  removed = removed + redis.call('ZREM', KEYS[i], ARGV[1])
end
return removed
