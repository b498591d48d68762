--[[
idempotency-claim: the first step of a request sent with an Idempotency-Key header
(draft-ietf-httpapi-idempotency-key-header). The key is claimed for one request; the work script
(checkout.lua / purchase.lua) then checks the claim and stores its result in the same atomic step as the
work, so two requests with one key can never both do the work.

KEYS[1] {sale:<id>}:idem:<hash of the key>   string: JSON {s="p"|"d", f=fingerprint, t=claim token, r=result}
ARGV[1] fingerprint of the request (what it asks for), to tell a retry from a different request
ARGV[2] claim token (fresh)
ARGV[3] how long (ms) a claim lasts if its request never finishes (the process died)

Returns {"claimed"}                  the caller now does the work with this token (also when this very
                                     claim is sent again: a resend after a lost reply)
     or {"in_progress"}              another request with this key is being processed
     or {"mismatch"}                 the key was used for a different request
     or {"done", result...}          the stored result of the first request, to answer again
]]
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], cjson.encode({ s = 'p', f = ARGV[1], t = ARGV[2] }), 'PX', ARGV[3])
  return { 'claimed' }
end
local rec = cjson.decode(raw)
if rec.f ~= ARGV[1] then return { 'mismatch' } end
-- Its own claim, sent again (the client resent the command after losing the reply): still claimed.
if rec.s == 'p' then return { rec.t == ARGV[2] and 'claimed' or 'in_progress' } end
local out = { 'done' }
for _, v in ipairs(rec.r) do out[#out + 1] = v end
return out
