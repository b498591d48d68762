--[[
sale-load-fields: put a chunk of a sale's starting state into one of its hashes: items into the stock
hash, or what buyers already bought (when a sale is rebuilt from PostgreSQL) into the bought hash. Never
overwrites a field already there, so loading again (another instance, a retry) cannot undo a sale.
Called in pipelined chunks.

KEYS[1] {sale:<id>}:stock or {sale:<id>}:bought   hash
ARGV    field, value, field, value, ...

Returns the number of fields newly added.
]]
local added = 0
for i = 1, #ARGV, 2 do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return added
