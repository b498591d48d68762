--[[
checkout-sold-out: checkouts of items an instance believes sold out, several in one call. Each is checked
exactly as checkout.lua checks it up to its item_sold_out answer (sale loaded and open on Redis's clock,
item in the sale, no units left); those refused so are recorded as checkout.lua records a refusal (attempts
stream, dashboard tally), all of this call's in one stream entry. The others are left untouched, for the
caller to send through checkout.lua.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt ...
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:attempts   stream: one entry per attempt (u user, i item, r result, t ms), or per batch of
                               attempts: n count, u/i/r comma lists of n values (r may be one value for all)
KEYS[4] {sale:<id>}:stats      hash: counters for the dashboard ("c:<result>" per checkout result)
ARGV[2k+1], ARGV[2k+2]  user id and item id of the k-th checkout (k = 0, 1, ...)

Returns one number per checkout, in order: 1 refused as item_sold_out (and recorded), 0 not so (nothing
written)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local m = redis.call('HMGET', KEYS[1], 'startsAt', 'endsAt')
local open = m[1] ~= false and m[2] ~= false and now >= tonumber(m[1]) and now < tonumber(m[2])
local verdicts = {}
-- One entry for all refusals: an XADD per refusal cost Redis about four times the CPU, and the analytics
-- writer a parse of each entry (user ids hold no comma: see USER_ID_PATTERN).
local users, items = {}, {}
for i = 1, #ARGV - 1, 2 do
  local left = open and redis.call('HGET', KEYS[2], ARGV[i + 1])
  if left and tonumber(left) <= 0 then
    users[#users + 1] = ARGV[i]
    items[#items + 1] = ARGV[i + 1]
    verdicts[#verdicts + 1] = 1
  else
    verdicts[#verdicts + 1] = 0
  end
end
if #users > 0 then
  redis.call('XADD', KEYS[3], '*', 'n', #users, 'u', table.concat(users, ','), 'i', table.concat(items, ','),
    'r', 'item_sold_out', 't', now)
  redis.call('HINCRBY', KEYS[4], 'c:item_sold_out', #users)
end
return verdicts
