--[[
line-close: close a sale's line (an operator's line:close): nobody more joins or is admitted, and every
instance tells the buyers waiting on it at once. Admissions already given stay valid until they run out.

KEYS[1] {sale:<id>}:line:state    hash: ... closed (reason)
KEYS[2] {sale:<id>}:events:db<n>  shard channel (SPUBLISH): "line_closed|<reason>"
ARGV[1] reason: "closed", "sold_out" or "ended"
ARGV[2] when the key expires if it is new (ms since the epoch)

Returns 1 when this closed the line, 0 when it was closed already.
]]
if redis.call('HSETNX', KEYS[1], 'closed', ARGV[1]) == 0 then return 0 end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SPUBLISH', KEYS[2], 'line_closed|' .. ARGV[1])
return 1
