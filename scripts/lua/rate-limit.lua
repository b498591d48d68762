--[[
rate-limit: requests against sliding windows (per client IP, per user; lib/rate-limit.lua), each request in
one atomic step, several requests per call (the requests of one turn of an instance's event loop, checked one
after another in the order sent, at the same Redis time). The limiter's own call: on one server or Sentinel,
checkouts and purchases that reach checkout-batch.lua or purchase-batch.lua are counted there instead.

KEYS[i]      {rl:<group>:<ip|user>:<value>}   sorted set: request id -> time (ms) it was let through
             (each window has its own hash tag, so limiter traffic spreads over a Cluster's shards; on a
             Cluster the caller sends one request's windows of one slot per call and undoes a partial pass
             with rate-limit-undo.lua). A key has one window length (its group's), whichever request names it.
ARGV         per request, one after another: its unique id, its number of windows n, then n triples: the
             window's key (an index into KEYS), its limit (requests) and its length (ms)

Returns one reply per request, in order: {allowed (1|0), remaining_1, resetMs_1, remaining_2, resetMs_2, ...}
        resetMs: how long until the window frees a place (its oldest request leaves it)
]]
--@include lib/rate-limit.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local replies = {}
local a = 1
while a <= #ARGV do
  local reply
  reply, a = rl_request(now, a)
  replies[#replies + 1] = reply
end
rl_finish()
return replies
