--[[
purchase-batch: the purchases without an Idempotency-Key that one instance received in one turn of its event
loop, several in one call, each exactly as purchase.lua would run it alone, one after another in the order
sent (lib/purchase.lua). Each order bought still gets its own outbox entry in the same atomic step; the
stats, the bought hash's lifetime and the sold event are written once per call. A call per purchase cost
Redis a script call each, and the instance a round trip.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt saleCap perUserLimit sold [paused] [onePurchase]
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:bought     hash: userId -> units bought, "#"..userId -> purchases made
KEYS[4] {sale:<id>}:open       hash: userId -> code of the user's open checkout
KEYS[5] {sale:<id>}:checkouts  hash: code -> checkout record (JSON, see checkout.lua)
KEYS[6] {sale:<id>}:outbox     stream: acknowledged orders waiting for the queue (see purchase.lua)
KEYS[7] {sale:<id>}:stats      hash: counters for the dashboard ("orders", "p:purchased", "p:<failure reason>")
KEYS[8] {sale:<id>}:events:db<n> shard channel (SPUBLISH): "sold|<units sold in the sale>|<itemIds now sold out, csv>"
KEYS[w] (from KEYS[9]) {rl:<group>:<ip|user>:<value>}  the purchases' rate-limit windows (lib/rate-limit.lua;
                               one server or Sentinel only: these keys are not in the sale's slot)
ARGV[1] how long (ms) after the sale's end the keys created here are kept
ARGV[2...] one purchase after another: checkout code, order id to use if something is bought (fresh), the
                               authenticated buyer who must own the checkout ("" when user ids come from a trusted
                               upstream), then its rate-limit request as lib/rate-limit.lua reads it: an id, its
                               number of windows n (0: none, and "" as the id), n triples

Returns one reply per purchase, in order, each as purchase.lua returns it:
  {"done", orderId or "", "itemId,...", "itemId:reason,...", purchasedAtMs, "new"|"again"} or {rejection}
  or {"failed", error} for a purchase whose step raised an error (what it wrote before stays, as in purchase.lua);
  for a purchase with windows, {limits, that reply} if its windows let it through (limits as lib/rate-limit.lua
  answers), else {limits} alone: a refused purchase is not run, as if never sent
]]
--@include lib/purchase.lua
--@include lib/rate-limit.lua
local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5], outbox = KEYS[6],
  stats = KEYS[7], events = KEYS[8] }
local now, sale, done = purchase_begin(k)
local replies = {}
local i = 2
while i <= #ARGV do
  local code, order, buyer = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local limits
  limits, i = rl_step(now, i, 3)
  local reply = nil
  if not limits or limits[1] == 1 then
    -- A step that fails (a Lua error: a corrupt record) fails its own caller only; the others go on, and the
    -- call still writes the stats and the sold event of what they bought.
    local ok
    ok, reply = pcall(purchase_step, k, sale, now, code, order, buyer, done)
    if not ok then reply = { 'failed', type(reply) == 'table' and tostring(reply.err) or tostring(reply) } end
  end
  replies[#replies + 1] = rl_reply(limits, reply)
end
rl_finish()
purchase_finish(k, sale, done, tonumber(ARGV[1]))
return replies
