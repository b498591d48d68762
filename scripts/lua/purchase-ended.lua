--[[
purchase-ended: purchases an instance believes come after their sale's end, several in one call. Each is
answered exactly as purchase.lua answers it up to its sale_ended refusal: checkout_not_found for a code the
sale does not hold (or someone else's, when a buyer is given), sale_ended for a code not yet spent once the
sale's end has passed on Redis's clock (or the sale is not loaded). A spent code (purchase.lua answers its
stored result) and a sale not ended on Redis's clock are left to purchase.lua. Writes nothing.

KEYS[1] {sale:<id>}:meta       hash: endsAt ...
KEYS[2] {sale:<id>}:checkouts  hash: code -> checkout record (JSON {u=userId, s="open"|"spent", ...})
ARGV[2k+1], ARGV[2k+2]  checkout code and authenticated buyer ("" when user ids come from a trusted upstream)
                        of the k-th purchase (k = 0, 1, ...)

Returns one number per purchase, in order: 1 checkout_not_found, 2 sale_ended, 0 neither (for purchase.lua)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends_at = redis.call('HGET', KEYS[1], 'endsAt')
local ended = not ends_at or now >= tonumber(ends_at)

local out = {}
for k = 1, #ARGV, 2 do
  local buyer = ARGV[k + 1]
  local raw = redis.call('HGET', KEYS[2], ARGV[k])
  local verdict = 0
  if not raw then
    verdict = 1
  else
    -- A record that cannot be read is left to purchase.lua (verdict 0), which fails that one caller only.
    local ok, checkout = pcall(cjson.decode, raw)
    -- The order of purchase.lua: whose code it is, then whether it was spent, then the sale's end.
    if not ok or type(checkout) ~= 'table' then
      verdict = 0
    elseif buyer ~= '' and checkout.u ~= buyer then
      verdict = 1
    elseif checkout.s ~= 'spent' and ended then
      verdict = 2
    end
  end
  out[#out + 1] = verdict
end
return out
