--[[
lib/purchase: one purchase's rules, shared by purchase.lua (one purchase, with or without an Idempotency-Key)
and purchase-batch.lua (a turn's purchases without one). Included with "--@include lib/purchase.lua"; not a
script of its own. Items are tried in the order they were added, with the rules of purchaseItemVerdict() in
src/domain/sale/sale-rules.ts.

Defines
  purchase_begin(k) -> now, sale, done      what purchase_step() takes, read once per call
  purchase_step(k, sale, now, code, order_id, buyer, done) -> reply   one purchase
      k      the sale's keys: k.stock, k.bought, k.open, k.checkouts, k.outbox (as purchase.lua documents them)
      sale   what a call reads of the sale's meta once: ends_at (nil if the sale is not loaded), cap, limit,
             paused, one_purchase, and sold, which this step raises by the units it sells
      done   what the caller writes once per call, added to here: done.tally (stats field -> increment),
             done.sold_out (items whose last unit sold), done.bought (true once a unit was sold)
      reply  as purchase.lua returns it
      Writes the stock, the sale's "sold", the buyer's tallies, the checkout record, the order's outbox entry
      and the open checkout's removal; purchase_finish() writes the stats, the bought hash's lifetime and the
      sold event, once per call.
  purchase_finish(k, sale, done, retention)  after the call's purchases (k.stats, k.events as well)
]]
local function purchase_step(k, sale, now, code, order_id, buyer, done)
  local raw = redis.call('HGET', k.checkouts, code)
  if not raw then return { 'checkout_not_found' } end
  local checkout = cjson.decode(raw)
  -- Someone else's code is answered as unknown: it tells nothing about whose it is or what it bought.
  if buyer ~= '' and checkout.u ~= buyer then return { 'checkout_not_found' } end
  if checkout.s == 'spent' then
    local r = checkout.r
    return { 'done', r.o, r.p, r.f, tostring(r.t), 'again' }
  end
  if not sale.ends_at or now >= sale.ends_at then return { 'sale_ended' } end
  if sale.paused then return { 'sale_paused' } end

  local user = checkout.u
  local bought = tonumber(redis.call('HGET', k.bought, user) or '0')
  -- In a one-purchase-per-user sale, a user who already bought cannot buy again, whatever the items.
  local purchased_before = sale.one_purchase and tonumber(redis.call('HGET', k.bought, '#' .. user) or '0') > 0
  local purchased, failed, lines = {}, {}, {}
  local tally = done.tally
  -- Every item's stock read and checked before anything is written: a corrupt record or stock field (a bug,
  -- never input) fails the purchase with nothing changed, not after taking units from the items before it.
  if type(checkout.i) ~= 'table' then error('checkout ' .. code .. ': unreadable items') end
  local stock = {}
  for _, item in ipairs(checkout.i) do
    if type(item) ~= 'number' and type(item) ~= 'string' then error('checkout ' .. code .. ': unreadable item') end
    local left = tonumber(redis.call('HGET', k.stock, item) or '0')
    if not left then error('checkout ' .. code .. ': item ' .. item .. ' has an unreadable stock') end
    stock[item] = left
  end
  for _, item in ipairs(checkout.i) do
    local left = stock[item]
    local reason
    if left <= 0 then reason = 'item_sold_out'
    elseif bought >= sale.limit or purchased_before then reason = 'user_limit_reached'
    elseif sale.sold >= sale.cap then reason = 'sale_sold_out'
    end
    if reason then
      failed[#failed + 1] = item .. ':' .. reason
      tally['p:' .. reason] = (tally['p:' .. reason] or 0) + 1
    else
      redis.call('HSET', k.stock, item, left - 1)
      stock[item] = left - 1
      bought, sale.sold = bought + 1, sale.sold + 1
      purchased[#purchased + 1] = item
      -- The unit number (left before this sale) is unique per item: the database's guard against double sale.
      lines[#lines + 1] = item .. ':' .. left
      if left == 1 then done.sold_out[#done.sold_out + 1] = item end
    end
  end

  -- l (the order's lines) lets the reconciler rebuild an order that never reached PostgreSQL.
  local result = { o = '', p = table.concat(purchased, ','), f = table.concat(failed, ','), t = now, l = table.concat(lines, ',') }
  if #purchased > 0 then
    result.o = order_id
    redis.call('HSET', k.bought, user, bought)
    redis.call('HINCRBY', k.bought, '#' .. user, 1)
    -- Written with each order, not once per call: should a later purchase of the call fail (a corrupt
    -- record), what was sold before it still counts against the cap.
    redis.call('HSET', k.meta, 'sold', sale.sold)
    redis.call('XADD', k.outbox, '*', 'o', order_id, 'c', code, 'u', user, 'l', result.l, 't', now)
    tally.orders = (tally.orders or 0) + 1
    tally['p:purchased'] = (tally['p:purchased'] or 0) + #purchased
    done.bought = true
  end
  checkout.s, checkout.r = 'spent', result
  redis.call('HSET', k.checkouts, code, cjson.encode(checkout))
  if redis.call('HGET', k.open, user) == code then redis.call('HDEL', k.open, user) end
  return { 'done', result.o, result.p, result.f, tostring(now), 'new' }
end

-- What a call reads once before its purchases: Redis's clock (ms), the sale's meta as purchase_step() takes
-- it, and an empty `done`.
local function purchase_begin(k)
  local t = redis.call('TIME')
  local m = redis.call('HMGET', k.meta, 'endsAt', 'saleCap', 'perUserLimit', 'sold', 'paused', 'onePurchase')
  local sale = {
    ends_at = m[1] and tonumber(m[1]),
    cap = tonumber(m[2]),
    limit = tonumber(m[3]),
    sold = tonumber(m[4] or '0'),
    paused = m[5] == '1',
    one_purchase = m[6] == '1',
  }
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), sale, { tally = {}, sold_out = {}, bought = false }
end

-- After a call's purchases: the stats, the bought hash's lifetime and one sold event.
local function purchase_finish(k, sale, done, retention)
  for field, n in pairs(done.tally) do redis.call('HINCRBY', k.stats, field, n) end
  if not done.bought then return end
  redis.call('PEXPIREAT', k.bought, sale.ends_at + retention)
  -- Live stock for buyers' pages: each instance coalesces these before sending them on (SSE).
  redis.call('SPUBLISH', k.events, 'sold|' .. sale.sold .. '|' .. table.concat(done.sold_out, ','))
end
