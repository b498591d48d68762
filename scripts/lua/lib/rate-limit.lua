--[[
lib/rate-limit: sliding windows (per client IP, per user), shared by rate-limit.lua (the limiter's own call)
and checkout-batch.lua / purchase-batch.lua (which, on one server or Sentinel, count a request's windows in the
same call as its checkout or purchase: one script call per request instead of two). Included with
"--@include lib/rate-limit.lua"; not a script of its own.

Each window is a sorted set of the request times it let through; a request passes only if every one of its
windows has room, and then counts in all of them. Refused requests count nowhere, so a client that backs off
gets through again as soon as the window allows. The requests of one call are checked one after another, in
the order sent, at the same Redis time.

Defines
  rl_request(now, a) -> reply, a'
      Reads one request from ARGV[a]: its unique id, its number of windows n, then n triples: the window's key
      (an index into KEYS), its limit (requests) and its length (ms); a' is the index after it. Counts it if
      every window has room.
      reply {allowed (1|0), remaining_1, resetMs_1, remaining_2, resetMs_2, ...}
            resetMs: how long until the window frees a place (its oldest request leaves it)
  rl_step(now, i, width) -> limits, a'
      For checkout-batch.lua and purchase-batch.lua: after a step's `width` own arguments at ARGV[i], reads
      its rate-limit request (rl_request; n = 0 and "" as the id for none). limits: rl_request's reply, or nil
      when the step named no window (nothing read nor allocated: the common case with limiting off).
  rl_reply(limits, reply) -> the step's reply as the batch returns it: {limits, reply} when it named windows
      (reply nil: refused by them, not run), else reply itself
  rl_finish()
      After a call's requests: writes what they added, one ZADD and one PEXPIRE per window.
]]
-- Each window is read once per call: counted and, only if it has entries, trimmed and its oldest entry found;
-- then kept up to date here, as the call's requests all run at the same time. The requests it lets through
-- are added at the end, in one ZADD per window (each redis.call costs more than the work it does here; at most
-- 2 x 16 values for unpack, the callers' batch size, far below Lua's limit).
local rl_windows = {}
local function rl_window(now, ki, length)
  local w = rl_windows[ki]
  if not w then
    local key = KEYS[ki]
    -- Most windows are new (a buyer's first request in a while): an empty sorted set has no key, so there is
    -- nothing to trim or look at.
    local count, oldest = redis.call('ZCARD', key), nil
    if count > 0 then
      count = count - redis.call('ZREMRANGEBYSCORE', key, '-inf', now - length)
      if count > 0 then oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) end
    end
    w = { key = key, length = length, count = count, oldest = oldest, added = {} }
    rl_windows[ki] = w
  end
  return w
end

local function rl_request(now, a)
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local mine, limits, allowed = {}, {}, 1
  for j = 1, n do
    local w = rl_window(now, tonumber(ARGV[a]), tonumber(ARGV[a + 2]))
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
  return out, a
end

local function rl_step(now, i, width)
  local a = i + width
  if ARGV[a + 1] == '0' then return nil, a + 2 end
  return rl_request(now, a)
end

local function rl_reply(limits, reply)
  if limits then return { limits, reply } end
  return reply
end

local function rl_finish()
  for _, w in pairs(rl_windows) do
    if #w.added > 0 then
      redis.call('ZADD', w.key, unpack(w.added))
      redis.call('PEXPIRE', w.key, w.length)
    end
  end
end
