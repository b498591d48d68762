--[[
sale-forget: drops what an ended sale left in Redis past its retention that has no expiry of its own: its
dashboard counters, the replica confirmation's fence counter, and its attempts and outbox streams once they
are empty (their readers trim them as they store the entries in PostgreSQL; a stream key outlives its last
entry). A stream that still holds entries is kept: they are analytics not yet stored, or confirmed orders not
yet written, and nothing may drop those.
The sale's other keys expire by themselves (PEXPIREAT end + retention, set by the scripts that write them).

KEYS[1] {sale:<id>}:stats     hash: dashboard counters (dropped)
KEYS[2] {sale:<id>}:attempts  stream: checkout attempts (dropped if empty)
KEYS[3] {sale:<id>}:outbox    stream: purchases on their way to PostgreSQL (dropped if empty)
KEYS[4] {sale:<id>}:fence     string: the replica confirmation's counter (dropped)
ARGV    none

Returns {attempts left, outbox entries left}: both 0 once everything is gone
]]
redis.call('DEL', KEYS[1], KEYS[4])
local left = {}
for i = 2, 3 do
  local n = redis.call('XLEN', KEYS[i])
  if n == 0 then redis.call('DEL', KEYS[i]) end
  left[#left + 1] = n
end
return left
