--[[
checkout: add one item to a user's open checkout in a sale, or say why not. Reserves nothing.
Every attempt, accepted or rejected, is appended to the sale's attempts stream for analytics.
The rules are those of checkoutVerdict() in src/domain/sale/sale-rules.ts, in the same order.

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
local user, item, fresh_code, retention = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

local idem, early = idempotency_begin(KEYS[7], ARGV[5])
if early then return early end

local function run()
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

  local function record(result)
    redis.call('XADD', KEYS[6], '*', 'u', user, 'i', item, 'r', result, 't', now)
    redis.call('HINCRBY', KEYS[8], 'c:' .. result, 1)
  end

  local function no(reason)
    record(reason)
    return { reason }
  end

  local m = redis.call('HMGET', KEYS[1], 'startsAt', 'endsAt', 'saleCap', 'perUserLimit', 'sold', 'paused', 'onePurchase')
  if not m[1] then return no('no_active_sale') end -- not loaded (or expired): nothing to sell
  local starts_at, ends_at = tonumber(m[1]), tonumber(m[2])
  if now < starts_at then return no('sale_not_started') end
  if now >= ends_at then return no('no_active_sale') end

  -- What is final about the item comes before the sale's state and the user's checkout (sale-rules.ts).
  local units_left = redis.call('HGET', KEYS[2], item)
  if not units_left then return no('item_not_found') end
  units_left = tonumber(units_left)
  if units_left <= 0 then return no('item_sold_out') end
  if m[6] == '1' then return no('sale_paused') end

  local code = redis.call('HGET', KEYS[4], user)
  local checkout
  if code then
    checkout = cjson.decode(redis.call('HGET', KEYS[5], code))
    for _, id in ipairs(checkout.i) do
      if id == item then
        record('accepted')
        return { 'ok', code, table.concat(checkout.i, ','), tostring(ends_at), 'unchanged' }
      end
    end
  else
    checkout = { u = user, i = {}, s = 'open' }
  end

  if tonumber(m[5] or '0') >= tonumber(m[3]) then return no('sale_sold_out') end
  local bought = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  if bought + #checkout.i + 1 > tonumber(m[4]) then return no('user_limit_reached') end
  if m[7] == '1' and tonumber(redis.call('HGET', KEYS[3], '#' .. user) or '0') > 0 then return no('user_limit_reached') end

  checkout.i[#checkout.i + 1] = item
  if not code then
    code = fresh_code
    redis.call('HSET', KEYS[4], user, code)
    -- Keys created lazily get the sale's lifetime here, once per new checkout rather than on every call.
    redis.call('PEXPIREAT', KEYS[4], ends_at + retention)
  end
  redis.call('HSET', KEYS[5], code, cjson.encode(checkout))
  redis.call('PEXPIREAT', KEYS[5], ends_at + retention)
  record('accepted')
  return { 'ok', code, table.concat(checkout.i, ','), tostring(ends_at), 'added' }
end

local result = run()
idempotency_end(KEYS[7], idem, result, ARGV[6])
return result
