--[[
line-place: join a sale's waiting line, or read one's place in it (a read is also a heartbeat).
One place per buyer: joining again answers the same place. A join before the sale starts draws its order
key from ARGV[6] (a random fraction in [0,1), drawn by the app): everyone who joins before the start ends up
in a uniformly random order, the lottery. A join after the start gets 1 + the arrival counter, so it queues
behind them in arrival order. See src/domain/line/line-place.ts.

KEYS[1] {sale:<id>}:line           zset: waiting userId -> order key
KEYS[2] {sale:<id>}:line:admitted  zset: admitted userId -> admission expiry (ms)
KEYS[3] {sale:<id>}:line:seen      zset: waiting userId -> last seen (ms), for heartbeats
KEYS[4] {sale:<id>}:line:state     hash: seq (arrivals after the start), rate, credit, tickAt, closed (reason), admittedTotal
KEYS[5] {sale:<id>}:line:joined    hash: userId -> joined at (ms), while the buyer holds a place or admission
KEYS[6] {sale:<id>}:line:joins     hash: userId -> places taken in this line so far (what a proof of work names)
KEYS[7] {sale:<id>}:meta           hash: ... perUserLimit [onePurchase] (see purchase.lua)
KEYS[8] {sale:<id>}:bought         hash: userId -> units bought, "#"..userId -> purchases made
ARGV[1] userId
ARGV[2] "join" or "read"
ARGV[3] when the line opens (ms)
ARGV[4] when the sale starts (ms)
ARGV[5] when the sale ends (ms)
ARGV[6] lottery key for a join before the start: a decimal fraction in [0,1)
ARGV[7] admissions per second unless an operator set the line's own rate
ARGV[8] when the line's keys expire (ms since the epoch)
ARGV[9] places the buyer must have taken so far for a join to take a new one (its proof of work names that
        count), or "" for no such check

Returns {"waiting", ahead, ratePerSecond} | {"admitted", expiresAtMs} | {"closed", reason}
     | {"absent"} (a read by someone not in line) | {"not_open"} (a join or read before the line opens)
     | {"stale_proof"} (a new place, but ARGV[9] is not the count: the proof was made for another place)
     | {"spent"} (a buyer with no place who has used their limit: nothing to wait for, so no place)
]]
--@include lib/limit-used.lua
local user, mode = ARGV[1], ARGV[2]
local opens, starts, ends = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local closed = redis.call('HGET', KEYS[4], 'closed')
if now >= ends then return { 'closed', closed or 'ended' } end

-- An admission given before the line closed stays valid until it runs out (line-close.lua): its buyer reads
-- the line to get its token, so the admission is answered first.
local expires = tonumber(redis.call('ZSCORE', KEYS[2], user) or '0')
if expires > now then return { 'admitted', tostring(expires) } end
if closed then return { 'closed', closed } end

local rate = redis.call('HGET', KEYS[4], 'rate') or ARGV[7]
local rank = redis.call('ZRANK', KEYS[1], user)
if rank then
  redis.call('ZADD', KEYS[3], now, user)
  return { 'waiting', tostring(rank), rate }
end
-- Before the line opens nobody holds a place: a read learns when it opens, as a join does.
if now < opens then return { 'not_open' } end
-- A place for a buyer who has bought all they may would take a turn, and an admission, from one who can buy.
local m = redis.call('HMGET', KEYS[7], 'perUserLimit', 'onePurchase')
if m[1] and limit_used(KEYS[8], user, tonumber(m[1]), m[2] == '1') then return { 'spent' } end
if mode ~= 'join' then return { 'absent' } end
local taken = tonumber(redis.call('HGET', KEYS[6], user) or '0')
if ARGV[9] ~= '' and tonumber(ARGV[9]) ~= taken then return { 'stale_proof' } end
redis.call('HINCRBY', KEYS[6], user, 1)

local key
if now < starts then
  key = ARGV[6]
else
  key = tostring(1 + redis.call('HINCRBY', KEYS[4], 'seq', 1))
end
redis.call('ZADD', KEYS[1], key, user)
redis.call('ZADD', KEYS[3], now, user)
redis.call('HSET', KEYS[5], user, now)
-- An admission that ran out without being used gave its turn back: the buyer joins again at the back.
redis.call('ZREM', KEYS[2], user)
-- The state too: a join after the start may be the write that creates it (seq).
for _, k in ipairs({ KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6] }) do redis.call('PEXPIREAT', k, ARGV[8]) end
return { 'waiting', tostring(redis.call('ZRANK', KEYS[1], user)), rate }
