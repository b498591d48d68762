--[[
sale-activate: publish a loaded sale by writing its meta hash, once. Checkout and purchase treat a sale
without meta as unknown, so this runs after every item is in the stock hash.

KEYS[1] {sale:<id>}:meta    hash: startsAt endsAt itemsTotal saleCap perUserLimit sold onePurchase [paused]
KEYS[2] {sale:<id>}:stock   hash: itemId -> units left
KEYS[3] {sale:<id>}:bought  hash: what buyers bought, when rebuilding from PostgreSQL (kept as long as the sale)
ARGV[1] startsAt (ms)   ARGV[2] endsAt (ms)   ARGV[3] itemsTotal   ARGV[4] saleCap   ARGV[5] perUserLimit
ARGV[6] units already sold (non-zero when rebuilding from PostgreSQL)
ARGV[7] how long (ms) after the sale's end its keys are kept
ARGV[8] "1" when the sale allows one purchase per user, else "0"
ARGV[9] "1" to publish it paused (an operator paused it before Redis lost it), else "0"

Returns 1 when activated now, 0 when it already was.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'startsAt', ARGV[1], 'endsAt', ARGV[2], 'itemsTotal', ARGV[3],
  'saleCap', ARGV[4], 'perUserLimit', ARGV[5], 'sold', ARGV[6], 'onePurchase', ARGV[8])
if ARGV[9] == '1' then redis.call('HSET', KEYS[1], 'paused', '1') end
local expire_at = tonumber(ARGV[2]) + tonumber(ARGV[7])
redis.call('PEXPIREAT', KEYS[1], expire_at)
redis.call('PEXPIREAT', KEYS[2], expire_at)
-- Written by the load only when rebuilding; a purchase sets the same expiry on it.
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIREAT', KEYS[3], expire_at) end
return 1
