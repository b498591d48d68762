--[[
checkout-batch: the checkouts without an Idempotency-Key that one instance received in one turn of its event
loop, several in one call, each exactly as checkout.lua would run it alone, one after another in the order
sent (lib/checkout.lua: the rules of checkoutVerdict() in src/domain/sale/sale-rules.ts). A call per
checkout cost Redis a script call, a stream entry and a key lifetime each, and the instance a round trip.
All of this call's attempts are logged in one stream entry, and tallied once per result.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt saleCap perUserLimit sold [paused] [onePurchase]
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:bought     hash: userId -> units bought, "#"..userId -> purchases made
KEYS[4] {sale:<id>}:open       hash: userId -> code of the user's open checkout
KEYS[5] {sale:<id>}:checkouts  hash: code -> checkout record (JSON {u=userId, i=[itemIds], s="open"|"spent", r=result})
KEYS[6] {sale:<id>}:attempts   stream: one entry per attempt (u user, i item, r result, t ms), or per batch of
                               attempts: n count, u/i/r comma lists of n values
KEYS[7] {sale:<id>}:stats      hash: counters for the dashboard ("c:<result>" per checkout result)
ARGV[1] how long (ms) after the sale's end the keys created here are kept
ARGV[3k-1], ARGV[3k], ARGV[3k+1]  the k-th checkout (k = 1, 2, ...): user id, item id, and the code for a new
                               checkout, used only when that user has no open one

Returns one reply per checkout, in order, each as checkout.lua returns it:
  {"ok", code, "itemId,itemId,...", endsAtMs, "added"|"unchanged"} or {rejection}
  or {"failed", error} for a checkout whose step raised an error (what it wrote before stays, as in checkout.lua)
]]
--@include lib/checkout.lua
local retention = tonumber(ARGV[1])
local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5] }
local now, m = checkout_begin(k)

local replies = {}
-- User ids hold no comma (USER_ID_PATTERN), nor do item ids: the lists below need no escaping.
local users, items, results = {}, {}, {}
local tally = {}
local new_code, added = false, false
for i = 2, #ARGV - 2, 3 do
  local user, item = ARGV[i], ARGV[i + 1]
  -- A step that fails (a Lua error: a corrupt record, a key of the wrong type) fails its own caller only,
  -- unlogged, as checkout.lua's call would; the others go on and are logged.
  local ok, reply, wrote = pcall(checkout_step, k, m, now, user, item, ARGV[i + 2])
  if not ok then
    replies[#replies + 1] = { 'failed', type(reply) == 'table' and tostring(reply.err) or tostring(reply) }
  else
    if wrote then added = true end
    if wrote == 'code' then new_code = true end
    local outcome = reply[1] == 'ok' and 'accepted' or reply[1]
    replies[#replies + 1] = reply
    users[#users + 1], items[#items + 1], results[#results + 1] = user, item, outcome
    tally[outcome] = (tally[outcome] or 0) + 1
  end
end
checkout_expire(k, m, retention, new_code, added)
if #users > 0 then
  redis.call('XADD', KEYS[6], '*', 'n', #users, 'u', table.concat(users, ','), 'i', table.concat(items, ','),
    'r', table.concat(results, ','), 't', now)
  for outcome, n in pairs(tally) do redis.call('HINCRBY', KEYS[7], 'c:' .. outcome, n) end
end
return replies
