--[[
sale-load-items: put a chunk of a sale's items into its stock hash. Never overwrites an item already there,
so loading again (another instance, a retry) cannot undo a sale. Called in pipelined chunks.

KEYS[1] {sale:<id>}:stock   hash: itemId -> units left
ARGV    itemId, unitsLeft, itemId, unitsLeft, ...

Returns the number of items newly added.
]]
local added = 0
for i = 1, #ARGV, 2 do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return added
