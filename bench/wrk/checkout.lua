-- POST /checkout?user_id=<a new buyer each request>&id=<item>, the items taken in turn from WRK_ITEMS (a
-- file, one id a line) from WRK_ITEM_OFFSET on. Accepted or refused: WRK_EXPECT_STATUS / WRK_EXPECT_BODY
-- say which answer every request must get (e.g. 409 and "item_sold_out").
dofile(os.getenv("WRK_LIB"))
wrk.method = "POST"
local items = read_lines(os.getenv("WRK_ITEMS"))
local offset = tonumber(os.getenv("WRK_ITEM_OFFSET") or "0")
local n = 0
local prefix

function init(args)
  prefix = "/checkout?user_id=" .. run_id .. "t" .. tid .. "-"
  n = (tid - 1) * 1000003
end

function request()
  n = n + 1
  return wrk.format(nil, prefix .. n .. "&id=" .. items[(offset + n) % #items + 1])
end
