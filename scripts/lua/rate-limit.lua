--[[
rate-limit: requests against sliding windows (per client IP, per user), each request in one atomic step,
several requests per call (the requests of one turn of an instance's event loop, checked one after another in
the order sent, at the same Redis time). Each window is a sorted set of the request times it let through; a
request passes only if every one of its windows has room, and then counts in all of them. Refused requests
count nowhere, so a client that backs off gets through again as soon as the window allows.

Most windows' writes are not logged to the AOF or sent to replicas (REPL_NONE): they are seconds-to-minutes
of request times, rewritten on every request. Logged, they made a busy Redis rewrite its AOF every few
minutes, a fork whose copy-on-write work cost 10 to 15% of a core in the bench. Only a window's expiry (a
DEL) and whole-dataset snapshots (an AOF rewrite's base, a replica's full sync) still carry them, so after a
failover or restart those windows are empty or stale: at most one window's worth of requests more, once (the
instances forget the windows they saw full at the same moment). The windows the caller names as replicated
(sign-in's: few requests, and a guesser must not gain tries from a failover) are written with REPL_ALL.

KEYS[i]      {rl:<group>:<ip|user>:<value>}   sorted set: request id -> time (ms) it was let through
             (each window has its own hash tag, so limiter traffic spreads over a Cluster's shards; on a
             Cluster the caller sends one request's windows of one slot per call and undoes a partial pass
             with rate-limit-undo.lua). A key has one window length (its group's), whichever request names it.
ARGV[1]      r, the number of replicated windows; ARGV[2..r+1] their keys (indices into KEYS)
ARGV[r+2..]  per request, one after another: its unique id, its number of windows n, then n triples: the
             window's key (an index into KEYS), its limit (requests) and its length (ms)

Returns one reply per request, in order: {allowed (1|0), remaining_1, resetMs_1, remaining_2, resetMs_2, ...}
        resetMs: how long until the window frees a place (its oldest request leaves it)
]]
redis.set_repl(redis.REPL_NONE)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- A key is replicated or not whoever names it (its group decides), so its log and replicas see all its writes
-- or none of them.
local replicated = {}
local r = tonumber(ARGV[1])
for i = 2, r + 1 do
  replicated[tonumber(ARGV[i])] = true
end

-- Each window read once per call: counted, and only if it has entries, trimmed and its oldest entry found;
-- then kept up to date here, as the call's requests all run at the same time `now`. The requests it lets
-- through are added at the end, in one ZADD per window (each redis.call costs more than the work it does
-- here; at most 2 x 16 values for unpack, the caller's batch size, far below Lua's limit).
local windows = {}
local function window(ki, length)
  local w = windows[ki]
  if not w then
    local key = KEYS[ki]
    -- Most windows are new (a buyer's first request in a while): an empty sorted set has no key, so there is
    -- nothing to trim or look at.
    local count, oldest = redis.call('ZCARD', key), nil
    if count > 0 then
      if replicated[ki] then redis.set_repl(redis.REPL_ALL) end
      count = count - redis.call('ZREMRANGEBYSCORE', key, '-inf', now - length)
      if replicated[ki] then redis.set_repl(redis.REPL_NONE) end
      if count > 0 then oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) end
    end
    w = { key = key, replicated = replicated[ki], length = length, count = count, oldest = oldest, added = {} }
    windows[ki] = w
  end
  return w
end

local replies = {}
local a = r + 2
while a <= #ARGV do
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local mine, limits, allowed = {}, {}, 1
  for j = 1, n do
    local w = window(tonumber(ARGV[a]), tonumber(ARGV[a + 2]))
    mine[j], limits[j] = w, tonumber(ARGV[a + 1])
    if w.count >= limits[j] then allowed = 0 end
    a = a + 3
  end
  local out = { allowed }
  for j, w in ipairs(mine) do
    if allowed == 1 then
      local added = w.added
      added[#added + 1] = now
      added[#added + 1] = id
      w.count = w.count + 1
      w.oldest = w.oldest or now
    end
    out[#out + 1] = math.max(0, limits[j] - w.count)
    out[#out + 1] = w.oldest and (w.oldest + w.length - now) or w.length
  end
  replies[#replies + 1] = out
end
for _, w in pairs(windows) do
  if #w.added > 0 then
    if w.replicated then redis.set_repl(redis.REPL_ALL) end
    redis.call('ZADD', w.key, unpack(w.added))
    redis.call('PEXPIRE', w.key, w.length)
    if w.replicated then redis.set_repl(redis.REPL_NONE) end
  end
end
return replies
