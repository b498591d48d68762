--[[
checkout: add one item to a user's open checkout in a sale, or say why not. Reserves nothing.
Every attempt, accepted or rejected, is appended to the sale's attempts stream for analytics.
The rules are those of checkoutVerdict() in src/domain/sale/sale-rules.ts (lib/checkout.lua). Checkouts
without an Idempotency-Key usually go through checkout-batch.lua, a turn's checkouts in one call.

KEYS[1] {sale:<id>}:meta       hash: startsAt endsAt saleCap perUserLimit sold [paused] [onePurchase]
KEYS[2] {sale:<id>}:stock      hash: itemId -> units left
KEYS[3] {sale:<id>}:bought     hash: userId -> units bought, "#"..userId -> purchases made
KEYS[4] {sale:<id>}:open       hash: userId -> code of the user's open checkout
KEYS[5] {sale:<id>}:checkouts  hash: code -> checkout record (JSON {u=userId, i=[itemIds], s="open"|"spent", r=result})
KEYS[6] {sale:<id>}:attempts   stream: one entry per attempt (u user, i item, r result, t ms)
KEYS[7] {sale:<id>}:idem:<hash> idempotency record (see idempotency-claim.lua); unused when ARGV[5] is ""
KEYS[8] {sale:<id>}:stats      hash: counters for the dashboard ("c:<result>" per checkout result)
ARGV[1] user id
ARGV[2] item id
ARGV[3] code for a new checkout, used only when the user has no open one
ARGV[4] how long (ms) after the sale's end the keys created here are kept
ARGV[5] idempotency claim token from idempotency-claim.lua, or "" without an Idempotency-Key
ARGV[6] how long (ms) the idempotency record keeps the result

Returns {"ok", code, "itemId,itemId,...", endsAtMs, "added"|"unchanged"}
     or {rejection}: one of no_active_sale sale_not_started sale_paused item_not_found item_sold_out
                     sale_sold_out user_limit_reached idempotency_key_in_use
The result is also stored in the idempotency record, in the same atomic step (refusals that can change
by themselves, such as sale_paused, release the key instead): see lib/idempotency.lua.
]]
--@include lib/idempotency.lua
--@include lib/checkout.lua
local user, item, fresh_code, retention = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

local idem, early = idempotency_begin(KEYS[7], ARGV[5])
if early then return early end

local k = { meta = KEYS[1], stock = KEYS[2], bought = KEYS[3], open = KEYS[4], checkouts = KEYS[5] }
local now, m = checkout_begin(k)
local result, wrote = checkout_step(k, m, now, user, item, fresh_code)
checkout_expire(k, m, retention, wrote == 'code', wrote ~= nil)
local outcome = result[1] == 'ok' and 'accepted' or result[1]
redis.call('XADD', KEYS[6], '*', 'u', user, 'i', item, 'r', outcome, 't', now)
redis.call('HINCRBY', KEYS[8], 'c:' .. outcome, 1)

idempotency_end(KEYS[7], idem, result, ARGV[6])
return result
