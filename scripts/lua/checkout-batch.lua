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
KEYS[w] (from KEYS[8]) {rl:<group>:<ip|user>:<value>}  the checkouts' rate-limit windows (lib/rate-limit.lua;
                               one server or Sentinel only: these keys are not in the sale's slot)
ARGV[1] how long (ms) after the sale's end the keys created here are kept
ARGV[2...] one checkout after another: user id, item id, the code for a new checkout (used only when that user
                               has no open one), then its rate-limit request as lib/rate-limit.lua reads it: an
                               id, its number of windows n (0: none, and "" as the id), n triples

Returns one reply per checkout, in order, each as checkout.lua returns it:
  {"ok", code, "itemId,itemId,...", endsAtMs, "added"|"unchanged"} or {rejection}
  or {"failed", error} for a checkout whose step raised an error (what it wrote before stays, as in checkout.lua);
  for a checkout with windows, {limits, that reply} if its windows let it through (limits as lib/rate-limit.lua
  answers), else {limits} alone: a refused checkout is not run, logged nor tallied, as if never sent
]]
--@include lib/checkout.lua
--@include lib/rate-limit.lua
local retention = tonumber(ARGV[1])
local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5] }
local now, m = checkout_begin(k)

local replies = {}
-- User ids hold no comma (USER_ID_PATTERN), nor do item ids: the lists below need no escaping.
local users, items, results = {}, {}, {}
local tally = {}
local new_code, added = false, false
local i = 2
while i <= #ARGV do
  local user, item, code = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local limits
  limits, i = rl_step(now, i, 3)
  if limits and limits[1] == 0 then
    replies[#replies + 1] = rl_reply(limits, nil)
  else
    -- A step that fails (a Lua error: a corrupt record, a key of the wrong type) fails its own caller only,
    -- unlogged, as checkout.lua's call would; the others go on and are logged.
    local ok, reply, wrote = pcall(checkout_step, k, m, now, user, item, code)
    if not ok then
      reply = { 'failed', type(reply) == 'table' and tostring(reply.err) or tostring(reply) }
    else
      if wrote then added = true end
      if wrote == 'code' then new_code = true end
      local outcome = reply[1] == 'ok' and 'accepted' or reply[1]
      users[#users + 1], items[#items + 1], results[#results + 1] = user, item, outcome
      tally[outcome] = (tally[outcome] or 0) + 1
    end
    replies[#replies + 1] = rl_reply(limits, reply)
  end
end
rl_finish()
checkout_expire(k, m, retention, new_code, added)
if #users > 0 then
  redis.call('XADD', KEYS[6], '*', 'n', #users, 'u', table.concat(users, ','), 'i', table.concat(items, ','),
    'r', table.concat(results, ','), 't', now)
  for outcome, n in pairs(tally) do redis.call('HINCRBY', KEYS[7], 'c:' .. outcome, n) end
end
return replies
