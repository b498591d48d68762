--[[
lib/limit-used: whether a buyer has used all a sale allows them, shared by the waiting line's scripts
(line-place.lua, line-admit.lua), which include this file with the line "--@include lib/limit-used.lua".
Not a script of its own.

Defines
  limit_used(bought_key, user, limit, one_purchase) -> boolean
      bought_key: {sale:<id>}:bought (userId -> units bought, "#"..userId -> purchases made); limit: the
      sale's perUserLimit (a number); one_purchase: true when the sale allows one purchase per user.
]]
local function limit_used(bought_key, user, limit, one_purchase)
  return tonumber(redis.call('HGET', bought_key, user) or '0') >= limit
    or (one_purchase and tonumber(redis.call('HGET', bought_key, '#' .. user) or '0') > 0)
end
