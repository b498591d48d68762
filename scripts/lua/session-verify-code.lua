--[[
session-verify-code: check a session's one-time code. Wrong codes are counted in the same atomic step, so
parallel guesses cannot get more tries than allowed; after the last one the code is locked for good (the
user signs in again for a new code).

KEYS[1] flashsale:session:<token digest>   hash: userId email verified ("0"|"1") code (digest) codeExpiresAt (ms) attempts
ARGV[1] digest of the code given
ARGV[2] how many wrong codes lock the step

Returns {"verified"} | {"wrong", attemptsLeft} | {"locked"} | {"expired"} | {"no_session"}
]]
local s = redis.call('HMGET', KEYS[1], 'verified', 'code', 'codeExpiresAt', 'attempts')
if not s[1] then return { 'no_session' } end
if s[1] == '1' then return { 'verified' } end
local attempts, max = tonumber(s[4] or '0'), tonumber(ARGV[2])
if attempts >= max then return { 'locked' } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(s[3]) then return { 'expired' } end
if s[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'verified', '1')
  redis.call('HDEL', KEYS[1], 'code', 'codeExpiresAt', 'attempts')
  return { 'verified' }
end
attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts >= max then return { 'locked' } end
return { 'wrong', max - attempts }
