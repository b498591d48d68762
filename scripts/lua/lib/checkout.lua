--[[
lib/checkout: one checkout's rules, shared by checkout.lua (one checkout, with or without an Idempotency-Key)
and checkout-batch.lua (a turn's checkouts without one). Included with "--@include lib/checkout.lua"; not a
script of its own. The rules are those of checkoutVerdict() in src/domain/sale/sale-rules.ts, in the same
order.

Defines
  checkout_step(k, m, now, user, item, fresh_code) -> reply, wrote
      k     the sale's keys: k.stock, k.bought, k.open, k.checkouts (as checkout.lua documents them)
      m     HMGET of the sale's meta: startsAt endsAt saleCap perUserLimit sold paused onePurchase. A checkout
            changes none of them, so a batch reads them once.
      reply {"ok", code, "itemId,...", endsAtMs, "added"|"unchanged"} or {rejection}, as checkout.lua returns
      wrote nil (nothing written), "item" (an item added to an open checkout) or "code" (a new open checkout).
            The caller sets the lifetime of k.open and k.checkouts (the sale's end plus retention) once
            something was written: once per call, not per checkout.
      Records nothing: the caller logs the attempt (attempts stream, dashboard tally).
]]
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
