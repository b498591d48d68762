--[[
attempts-append: the checkout attempts refused before any sale script runs (no sale open, or the item's sale
not started yet), several in one call, as one stream entry stamped with Redis's clock like the entries
checkout.lua writes. One entry instead of one XADD per attempt: the requests of one event-loop turn share it,
and the analytics writer parses one entry instead of each.

KEYS[1] flashsale:attempts  stream: entries of n attempts: n count, u/i/r/s comma lists of n values (user id,
                            item id, result, sale id or '' for none), t ms
ARGV[4k+1] .. ARGV[4k+4]   user id, item id, result and sale id ('' for none) of the k-th attempt (k = 0, 1, ...)

Returns the number of attempts added
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local users, items, results, sales = {}, {}, {}, {}
for i = 1, #ARGV - 3, 4 do
  users[#users + 1] = ARGV[i]
  items[#items + 1] = ARGV[i + 1]
  results[#results + 1] = ARGV[i + 2]
  sales[#sales + 1] = ARGV[i + 3]
end
if #users == 0 then return 0 end
redis.call('XADD', KEYS[1], '*', 'n', #users, 'u', table.concat(users, ','), 'i', table.concat(items, ','),
  'r', table.concat(results, ','), 's', table.concat(sales, ','), 't', now)
return #users
