--[[
line-admit: one step of a sale's line, safe to run from every instance at once (the rate is a token
bucket kept here, on Redis's clock). Closes the line when the sale has ended or sold out (and tells every
instance); otherwise, unless the sale is paused or has not started: forgets admissions that ran out or
whose buyer has used their limit (spent), then admits buyers from the head of the line at the line's rate
(passing over spent ones),
never leaving more admitted buyers than ARGV[4] per unit still for sale (but room for one while a unit is
left). Waiting buyers not seen for
ARGV[7] ms are skipped and lose their place (they left).

KEYS[1] {sale:<id>}:line           zset: waiting userId -> order key (see line-place.lua)
KEYS[2] {sale:<id>}:line:admitted  zset: admitted userId -> admission expiry (ms)
KEYS[3] {sale:<id>}:line:seen      zset: waiting userId -> last seen (ms)
KEYS[4] {sale:<id>}:line:state     hash: seq rate credit tickAt closed admittedTotal
KEYS[5] {sale:<id>}:line:joined    hash: userId -> joined at (ms)
KEYS[6] {sale:<id>}:meta           hash: ... sold perUserLimit [paused] [onePurchase] (see purchase.lua)
KEYS[7] {sale:<id>}:bought         hash: userId -> units bought, "#"..userId -> purchases made
KEYS[8] {sale:<id>}:line:waits     list: the latest waits from joining to admission (ms), newest first
KEYS[9] {sale:<id>}:events:db<n>   shard channel (SPUBLISH): "line_closed|<reason>"
ARGV[1] when the sale starts (ms)
ARGV[2] when the sale ends (ms)
ARGV[3] units on sale (every unit of every item, or the cap when lower)
ARGV[4] admitted buyers allowed per unit left (a decimal)
ARGV[5] admissions per second unless an operator set the line's own rate
ARGV[6] how long an admission lasts (ms)
ARGV[7] how long a waiting buyer may go unseen (ms)
ARGV[8] when the line's keys expire (ms since the epoch)

Returns {"closed", reason} | {"idle", reason} (not started, paused or not loaded: "not_started",
        "paused", "not_loaded") | {"open", admitted now, waiting, admitted in all now}
]]
--@include lib/limit-used.lua
local starts, ends, units = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local per_unit, default_rate = tonumber(ARGV[4]), tonumber(ARGV[5])
local admission_ms, heartbeat_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local closed = redis.call('HGET', KEYS[4], 'closed')
if closed then return { 'closed', closed } end

local function close(reason)
  redis.call('HSET', KEYS[4], 'closed', reason)
  redis.call('PEXPIREAT', KEYS[4], ARGV[8])
  redis.call('SPUBLISH', KEYS[9], 'line_closed|' .. reason)
  return { 'closed', reason }
end

if now >= ends then return close('ended') end
if now < starts then return { 'idle', 'not_started' } end
local m = redis.call('HMGET', KEYS[6], 'sold', 'perUserLimit', 'paused', 'onePurchase')
if not m[2] then return { 'idle', 'not_loaded' } end
local left = units - tonumber(m[1] or '0')
if left <= 0 then return close('sold_out') end
if m[3] == '1' then
  -- No admissions during a pause, and none owed for it afterwards.
  redis.call('HSET', KEYS[4], 'tickAt', now)
  redis.call('PEXPIREAT', KEYS[4], ARGV[8]) -- this may be the write that creates it
  return { 'idle', 'paused' }
end

-- Admissions that ran out give their turn back; so do buyers who have used their limit (spent).
for _, u in ipairs(redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE')) do
  redis.call('ZREM', KEYS[2], u)
  redis.call('HDEL', KEYS[5], u)
end
local limit = tonumber(m[2])
local one_purchase = m[4] == '1'
for _, u in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if limit_used(KEYS[7], u, limit, one_purchase) then
    redis.call('ZREM', KEYS[2], u)
    redis.call('HDEL', KEYS[5], u)
  end
end

local s = redis.call('HMGET', KEYS[4], 'rate', 'credit', 'tickAt')
local rate = tonumber(s[1] or default_rate)
local last = tonumber(s[3] or now)
-- A token bucket holding at most one second of admissions: the rate holds however often this runs.
local credit = math.min(rate, tonumber(s[2] or '0') + math.max(0, now - last) * rate / 1000)
local admitted_now = redis.call('ZCARD', KEYS[2])
-- At least one buyer while a unit is left, whatever the ratio: below 1 a floor of zero would stall the line
-- with units unsold.
local allowed = math.floor(left * per_unit + 1e-9)
if left > 0 and allowed < 1 then allowed = 1 end
local room = math.max(0, allowed - admitted_now)
local want = math.min(math.floor(credit), room)

local admitted, looked = 0, 0
while admitted < want and looked < want + 1000 do
  local head = redis.call('ZPOPMIN', KEYS[1])
  if #head == 0 then break end
  looked = looked + 1
  local u = head[1]
  local seen = tonumber(redis.call('ZSCORE', KEYS[3], u) or '0')
  redis.call('ZREM', KEYS[3], u)
  -- Gone (not seen), or has used their limit since joining (line-place.lua gives such a buyer no new place):
  -- the place is dropped and the turn goes to the next.
  if seen + heartbeat_ms < now or limit_used(KEYS[7], u, limit, one_purchase) then
    redis.call('HDEL', KEYS[5], u)
  else
    redis.call('ZADD', KEYS[2], now + admission_ms, u)
    local joined = tonumber(redis.call('HGET', KEYS[5], u) or now)
    redis.call('LPUSH', KEYS[8], now - joined)
    admitted = admitted + 1
  end
end
redis.call('HSET', KEYS[4], 'credit', tostring(credit - admitted), 'tickAt', now)
redis.call('PEXPIREAT', KEYS[4], ARGV[8])
if admitted > 0 then
  redis.call('LTRIM', KEYS[8], 0, 999)
  redis.call('HINCRBY', KEYS[4], 'admittedTotal', admitted)
  -- Keys this step may have created expire with the rest of the line.
  redis.call('PEXPIREAT', KEYS[2], ARGV[8])
  redis.call('PEXPIREAT', KEYS[8], ARGV[8])
end
return { 'open', admitted, redis.call('ZCARD', KEYS[1]), admitted_now + admitted }
