--[[
lib/checkout: one checkout's rules, shared by checkout.lua (one checkout, with or without an Idempotency-Key)
and checkout-batch.lua (a turn's checkouts without one). Included with "--@include lib/checkout.lua"; not a
script of its own. The rules are those of checkoutVerdict() in src/domain/sale/sale-rules.ts, in the same
order.

Defines
  checkout_begin(k) -> now, m       Redis's clock (ms) and the sale's meta m, read once per call
  checkout_step(k, m, now, user, item, fresh_code) -> reply, wrote
      k     the sale's keys: k.meta, k.stock, k.bought, k.open, k.checkouts (as checkout.lua documents them)
      m     HMGET of the sale's meta: startsAt endsAt saleCap perUserLimit sold paused onePurchase. A checkout
            changes none of them, so a batch reads them once.
      reply {"ok", code, "itemId,...", endsAtMs, "added"|"unchanged"} or {rejection}, as checkout.lua returns
      wrote nil (nothing written), "item" (an item added to an open checkout) or "code" (a new open checkout)
      Records nothing: the caller logs the attempt (attempts stream, dashboard tally).
  checkout_expire(k, m, retention, new_code, added)
      After a call's checkouts: the lifetime (the sale's end plus retention) of k.checkouts once an item was
      added, and of k.open once a new checkout was: once per call, not per checkout.
]]
local function checkout_begin(k)
  local t = redis.call('TIME')
  local m = redis.call('HMGET', k.meta, 'startsAt', 'endsAt', 'saleCap', 'perUserLimit', 'sold', 'paused', 'onePurchase')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), m
end

local function checkout_expire(k, m, retention, new_code, added)
  if not added then return end
  local expires = tonumber(m[2]) + retention
  if new_code then redis.call('PEXPIREAT', k.open, expires) end
  redis.call('PEXPIREAT', k.checkouts, expires)
end

local function checkout_step(k, m, now, user, item, fresh_code)
  if not m[1] then return { 'no_active_sale' } end -- not loaded (or expired): nothing to sell
  local starts_at, ends_at = tonumber(m[1]), tonumber(m[2])
  if now < starts_at then return { 'sale_not_started' } end
  if now >= ends_at then return { 'no_active_sale' } end

  -- What is final about the item comes before the sale's state and the user's checkout (sale-rules.ts).
  local units_left = redis.call('HGET', k.stock, item)
  if not units_left then return { 'item_not_found' } end
  if tonumber(units_left) <= 0 then return { 'item_sold_out' } end
  if m[6] == '1' then return { 'sale_paused' } end

  local code = redis.call('HGET', k.open, user)
  local checkout
  if code then
    checkout = cjson.decode(redis.call('HGET', k.checkouts, code))
    for _, id in ipairs(checkout.i) do
      if id == item then return { 'ok', code, table.concat(checkout.i, ','), tostring(ends_at), 'unchanged' } end
    end
  else
    checkout = { u = user, i = {}, s = 'open' }
  end

  if tonumber(m[5] or '0') >= tonumber(m[3]) then return { 'sale_sold_out' } end
  local bought = tonumber(redis.call('HGET', k.bought, user) or '0')
  if bought + #checkout.i + 1 > tonumber(m[4]) then return { 'user_limit_reached' } end
  if m[7] == '1' and tonumber(redis.call('HGET', k.bought, '#' .. user) or '0') > 0 then return { 'user_limit_reached' } end

  checkout.i[#checkout.i + 1] = item
  local wrote = 'item'
  if not code then
    code, wrote = fresh_code, 'code'
    redis.call('HSET', k.open, user, code)
  end
  redis.call('HSET', k.checkouts, code, cjson.encode(checkout))
  return { 'ok', code, table.concat(checkout.i, ','), tostring(ends_at), 'added' }, wrote
end
