--[[
purchase: buy every item of a checkout that can still be bought, atomically, and spend the code.
Items are tried in the order they were added, with the rules of purchaseItemVerdict() in
src/domain/sale/sale-rules.ts. A spent code returns its stored result: calling this again (a client retry,
or a command resent by the Redis client after a reconnect) buys nothing more and answers the same.
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
local code, order_id, retention = ARGV[1], ARGV[2], tonumber(ARGV[3])
local buyer = ARGV[6]

local idem, early = idempotency_begin(KEYS[7], ARGV[4])
if early then return early end

local function run()
  local raw = redis.call('HGET', KEYS[5], code)
  if not raw then return { 'checkout_not_found' } end
  local checkout = cjson.decode(raw)
  -- Someone else's code is answered as unknown: it tells nothing about whose it is or what it bought.
  if buyer ~= '' and checkout.u ~= buyer then return { 'checkout_not_found' } end
  if checkout.s == 'spent' then
    local r = checkout.r
    return { 'done', r.o, r.p, r.f, tostring(r.t), 'again' }
  end

  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local m = redis.call('HMGET', KEYS[1], 'endsAt', 'saleCap', 'perUserLimit', 'sold', 'paused', 'onePurchase')
  if not m[1] or now >= tonumber(m[1]) then return { 'sale_ended' } end
  if m[5] == '1' then return { 'sale_paused' } end

  local cap, limit = tonumber(m[2]), tonumber(m[3])
  local sold = tonumber(m[4] or '0')
  local user = checkout.u
  local bought = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  -- In a one-purchase-per-user sale, a user who already bought cannot buy again, whatever the items.
  local purchased_before = m[6] == '1' and tonumber(redis.call('HGET', KEYS[3], '#' .. user) or '0') > 0
  local purchased, failed, lines, sold_out = {}, {}, {}, {}
  for _, item in ipairs(checkout.i) do
    local left = tonumber(redis.call('HGET', KEYS[2], item) or '0')
    local reason
    if left <= 0 then reason = 'item_sold_out'
    elseif bought >= limit or purchased_before then reason = 'user_limit_reached'
    elseif sold >= cap then reason = 'sale_sold_out'
    end
    if reason then
      failed[#failed + 1] = item .. ':' .. reason
      redis.call('HINCRBY', KEYS[8], 'p:' .. reason, 1)
    else
      redis.call('HSET', KEYS[2], item, left - 1)
      bought, sold = bought + 1, sold + 1
      purchased[#purchased + 1] = item
      -- The unit number (left before this sale) is unique per item: the database's guard against double sale.
      lines[#lines + 1] = item .. ':' .. left
      if left == 1 then sold_out[#sold_out + 1] = item end
    end
  end

  -- l (the order's lines) lets the reconciler rebuild an order that never reached PostgreSQL.
  local result = { o = '', p = table.concat(purchased, ','), f = table.concat(failed, ','), t = now, l = table.concat(lines, ',') }
  if #purchased > 0 then
    result.o = order_id
    redis.call('HSET', KEYS[3], user, bought)
    redis.call('HINCRBY', KEYS[3], '#' .. user, 1)
    redis.call('PEXPIREAT', KEYS[3], tonumber(m[1]) + retention)
    redis.call('HSET', KEYS[1], 'sold', sold)
    redis.call('XADD', KEYS[6], '*', 'o', order_id, 'c', code, 'u', user, 'l', table.concat(lines, ','), 't', now)
    redis.call('HINCRBY', KEYS[8], 'orders', 1)
    redis.call('HINCRBY', KEYS[8], 'p:purchased', #purchased)
    -- Live stock for buyers' pages: each instance coalesces these before sending them on (SSE).
    redis.call('SPUBLISH', KEYS[9], 'sold|' .. sold .. '|' .. table.concat(sold_out, ','))
  end
  checkout.s, checkout.r = 'spent', result
  redis.call('HSET', KEYS[5], code, cjson.encode(checkout))
  if redis.call('HGET', KEYS[4], user) == code then redis.call('HDEL', KEYS[4], user) end
  return { 'done', result.o, result.p, result.f, tostring(now), 'new' }
end

local result = run()
idempotency_end(KEYS[7], idem, result, ARGV[5])
return result
