--[[
purchase: buy every item of a checkout that can still be bought, atomically, and spend the code.
Items are tried in the order they were added, with the rules of purchaseItemVerdict() in
src/domain/sale/sale-rules.ts (lib/purchase.lua). A spent code returns its stored result: calling this
again (a client retry, or a command resent by the Redis client after a reconnect) buys nothing more and
answers the same. Purchases without an Idempotency-Key usually go through purchase-batch.lua instead, a
turn's purchases in one call.
When at least one item is bought, the order is appended to the sale's outbox stream in the same atomic
step, so an acknowledged purchase cannot be lost between this script and the order queue.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt saleCap perUserLimit sold [paused] [onePurchase]
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:bought     hash: userId -> units bought, "#"..userId -> purchases made
KEYS[4] {sale:<id>}:open       hash: userId -> code of the user's open checkout
KEYS[5] {sale:<id>}:checkouts  hash: code -> checkout record (JSON, see checkout.lua)
KEYS[6] {sale:<id>}:outbox     stream: acknowledged orders waiting for the queue
                               (o orderId, c code, u userId, l "itemId:unit,...", t purchasedAtMs)
KEYS[7] {sale:<id>}:idem:<hash> idempotency record (see idempotency-claim.lua); unused when ARGV[4] is ""
KEYS[8] {sale:<id>}:stats      hash: counters for the dashboard ("orders", "p:purchased", "p:<failure reason>")
KEYS[9] {sale:<id>}:events:db<n> shard channel (SPUBLISH): "sold|<units sold in the sale>|<itemIds now sold out, csv>"
ARGV[1] checkout code
ARGV[2] order id to use if something is bought (fresh)
ARGV[3] how long (ms) after the sale's end the keys created here are kept
ARGV[4] idempotency claim token from idempotency-claim.lua, or "" without an Idempotency-Key
ARGV[5] how long (ms) the idempotency record keeps the result
ARGV[6] the authenticated buyer, who must own the checkout; "" when user ids come from a trusted upstream

Returns {"done", orderId or "", "itemId,...", "itemId:reason,...", purchasedAtMs, "new"|"again"}
        ("again": the code was already spent and this is its stored result)
     or {rejection}: one of checkout_not_found sale_ended sale_paused idempotency_key_in_use
The result is also stored in the idempotency record, in the same atomic step (refusals that can change
by themselves, such as sale_paused, release the key instead): see lib/idempotency.lua.
]]
--@include lib/idempotency.lua
--@include lib/purchase.lua
local code, order_id, retention = ARGV[1], ARGV[2], tonumber(ARGV[3])

local idem, early = idempotency_begin(KEYS[7], ARGV[4])
if early then return early end

local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5], outbox = KEYS[6],
  stats = KEYS[8], events = KEYS[9] }
local now, sale, done = purchase_begin(k)
local result = purchase_step(k, sale, now, code, order_id, ARGV[6], done)
purchase_finish(k, sale, done, retention)

idempotency_end(KEYS[7], idem, result, ARGV[5])
return result
