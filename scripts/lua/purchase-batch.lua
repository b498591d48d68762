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
ARGV[1] how long (ms) after the sale's end the keys created here are kept
ARGV[3k-1], ARGV[3k], ARGV[3k+1]  the k-th purchase (k = 1, 2, ...): checkout code, order id to use if something
                               is bought (fresh), and the authenticated buyer who must own the checkout ("" when
                               user ids come from a trusted upstream)

Returns one reply per purchase, in order, each as purchase.lua returns it:
  {"done", orderId or "", "itemId,...", "itemId:reason,...", purchasedAtMs, "new"|"again"} or {rejection}
  or {"failed", error} for a purchase whose step raised an error (what it wrote before stays, as in purchase.lua)
]]
--@include lib/purchase.lua
local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5], outbox = KEYS[6],
  stats = KEYS[7], events = KEYS[8] }
local now, sale, done = purchase_begin(k)
local replies = {}
for i = 2, #ARGV - 2, 3 do
  -- A step that fails (a Lua error: a corrupt record) fails its own caller only; the others go on, and the
  -- call still writes the stats and the sold event of what they bought.
  local ok, reply = pcall(purchase_step, k, sale, now, ARGV[i], ARGV[i + 1], ARGV[i + 2], done)
  replies[#replies + 1] = ok and reply or { 'failed', type(reply) == 'table' and tostring(reply.err) or tostring(reply) }
end
purchase_finish(k, sale, done, tonumber(ARGV[1]))
return replies
