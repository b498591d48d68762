--[[
checkout-sold-out: checkouts an instance believes refused for good (an item sold out, or the sale's cap
reached), several in one call. Each is checked exactly as checkout.lua checks it up to its item_sold_out or
sale_sold_out answer (sale loaded and open on Redis's clock, item in the sale; no units left, or else not
paused, not already in the user's open checkout and the cap reached); those refused so are recorded as
checkout.lua records a refusal (attempts stream, dashboard tally), all of this call's in one stream entry.
The others are left untouched, for the caller to send through checkout.lua.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt saleCap sold [paused] ...
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:attempts   stream: one entry per attempt (u user, i item, r result, t ms), or per batch of
                               attempts: n count, u/i/r comma lists of n values
KEYS[4] {sale:<id>}:stats      hash: counters for the dashboard ("c:<result>" per checkout result)
KEYS[5] {sale:<id>}:open       hash: userId -> code of the user's open checkout
KEYS[6] {sale:<id>}:checkouts  hash: code -> checkout record (JSON {u=userId, i=[itemIds], ...})
ARGV[2k+1], ARGV[2k+2]  user id and item id of the k-th checkout (k = 0, 1, ...)

Returns one number per checkout, in order: 1 refused as item_sold_out, 2 refused as sale_sold_out (and
recorded), 0 neither (nothing written)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local m = redis.call('HMGET', KEYS[1], 'startsAt', 'endsAt', 'saleCap', 'sold', 'paused')
local open = m[1] ~= false and m[2] ~= false and now >= tonumber(m[1]) and now < tonumber(m[2])
local capped = open and m[3] ~= false and tonumber(m[4] or '0') >= tonumber(m[3]) and m[5] ~= '1'

local function in_checkout(user, item)
  local code = redis.call('HGET', KEYS[5], user)
  if not code then return false end
  for _, id in ipairs(cjson.decode(redis.call('HGET', KEYS[6], code)).i) do
    if id == item then return true end
  end
  return false
end

local verdicts = {}
-- One entry for all refusals: an XADD per refusal cost Redis about four times the CPU, and the analytics
-- writer a parse of each entry (user ids hold no comma: see USER_ID_PATTERN).
local users, items, results = {}, {}, {}
local tally = { item_sold_out = 0, sale_sold_out = 0 }
for i = 1, #ARGV - 1, 2 do
  local user, item = ARGV[i], ARGV[i + 1]
  local left = open and redis.call('HGET', KEYS[2], item)
  local result = nil
  if left and tonumber(left) <= 0 then
    result = 'item_sold_out'
  elseif left and capped then
    -- A record that cannot be read is left to checkout.lua, which fails that one caller, not this whole call.
    local ok, inside = pcall(in_checkout, user, item)
    if ok and not inside then result = 'sale_sold_out' end
  end
  if result then
    users[#users + 1], items[#items + 1], results[#results + 1] = user, item, result
    tally[result] = tally[result] + 1
    verdicts[#verdicts + 1] = result == 'item_sold_out' and 1 or 2
  else
    verdicts[#verdicts + 1] = 0
  end
end
if #users > 0 then
  redis.call('XADD', KEYS[3], '*', 'n', #users, 'u', table.concat(users, ','), 'i', table.concat(items, ','),
    'r', table.concat(results, ','), 't', now)
  for result, n in pairs(tally) do
    if n > 0 then redis.call('HINCRBY', KEYS[4], 'c:' .. result, n) end
  end
end
return verdicts
