--[[
lib/idempotency: the Idempotency-Key steps shared by the work scripts (checkout.lua, purchase.lua), which
include this file with the line "--@include lib/idempotency.lua" (infrastructure/redis/lua-scripts.ts puts
it in place when it loads them). Not a script of its own.

The record (see idempotency-claim.lua) is JSON {s="p"|"d", f=fingerprint, t=claim token, r=result}:
"p" while claimed by the request holding token t, "d" once done with its result r.

Defines
  idempotency_begin(key, token) -> record, early
      token "" (no Idempotency-Key): nil, nil. Otherwise the claimed record, and `early`, the reply to give
      at once instead of doing the work: the stored result when this very request comes again (the Redis
      client resent the command after losing the reply), or {"idempotency_key_in_use"} when the caller does
      not hold the claim (its claim may have expired).
  idempotency_end(key, record, result, ttl_ms)
      After the work, in the same atomic step: stores the result in the record, or deletes the record when
      the result is a refusal that may change by itself (TRANSIENT: the set TRANSIENT_REJECTIONS of
      src/domain/shared/rejection.ts, put in place of the "--@const TRANSIENT" line below), so a retry with
      the key is processed afresh.
]]
--@const TRANSIENT
local function idempotency_begin(key, token)
  if token == '' then return nil, nil end
  local raw = redis.call('GET', key)
  local record = raw and cjson.decode(raw)
  if record and record.s == 'd' and record.t == token then return record, record.r end
  if not record or record.s ~= 'p' or record.t ~= token then return nil, { 'idempotency_key_in_use' } end
  return record, nil
end

local function idempotency_end(key, record, result, ttl_ms)
  if not record then return end
  if TRANSIENT[result[1]] then
    redis.call('DEL', key)
  else
    redis.call('SET', key, cjson.encode({ s = 'd', f = record.f, t = record.t, r = result }), 'PX', ttl_ms)
  end
end
