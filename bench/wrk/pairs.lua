-- Checkout then purchase of that code, alternating: response() takes the code out of each accepted
-- checkout's body into a per-thread queue; request() sends a purchase for a queued code if there is one,
-- otherwise a checkout of the next item of WRK_ITEMS. Every purchase must buy (200 with an orderId);
-- counters.pairs counts them.
--
-- Trusted mode (no WRK_TOKENS): each checkout is a new buyer (user_id=<fresh>), and a purchase names only its
-- code. Session mode (WRK_TOKENS: a file of bearer tokens, one signed-in user a line): a checkout and its
-- purchase go with the same user's token. The user rides along in X-Request-Id, which the app echoes, so
-- response() knows whose answer it reads; a user is busy from its checkout until its purchase is answered,
-- so there must be more users than connections (a starved request is counted and shows as unexpected).
-- Trusted mode with WRK_USERS (a file of user ids, one a line): the same few users and the same headers as
-- session mode, each checkout naming its user in user_id, so that session mode's cost is auth alone.
dofile(os.getenv("WRK_LIB"))
wrk.method = "POST"
local items = read_lines(os.getenv("WRK_ITEMS"))
local offset = tonumber(os.getenv("WRK_ITEM_OFFSET") or "0")
local token_file = os.getenv("WRK_TOKENS")
local tokens = (token_file and token_file ~= "") and read_lines(token_file) or nil
local user_file = os.getenv("WRK_USERS")
local users = (user_file and user_file ~= "") and read_lines(user_file) or nil
local pool = tokens or users
local n = 0
local queue = {}
local free = {}
local prefix

function init(args)
  prefix = "/checkout?user_id=" .. run_id .. "t" .. tid .. "-"
  n = (tid - 1) * 1000003
  if pool then
    for u = tid, #pool, thread_count do free[#free + 1] = u end
  end
end

local function as_user(u, tag)
  local headers = { ["X-Request-Id"] = "b" .. u .. "." .. tag }
  if tokens then headers.Authorization = "Bearer " .. tokens[u] end
  return headers
end

function request()
  local q = table.remove(queue)
  if q then return wrk.format(nil, "/purchase?code=" .. q.code, q.headers) end
  n = n + 1
  local item = items[(offset + n) % #items + 1]
  if not pool then return wrk.format(nil, prefix .. n .. "&id=" .. item) end
  local u = table.remove(free)
  if not u then
    bump("starved")
    return wrk.format("GET", "/health/live")
  end
  local who = users and ("user_id=" .. users[u] .. "&") or ""
  return wrk.format(nil, "/checkout?" .. who .. "id=" .. item, as_user(u, "c" .. n))
end

local function user_of(headers)
  local id = headers["x-request-id"] or headers["X-Request-Id"]
  return id and tonumber(string.match(id, "^b(%d+)%."))
end

function response(status, headers, body)
  count(status)
  local u = pool and user_of(headers)
  if status == 200 and has(body, '"orderId":"') then
    bump("pairs")
    if u then free[#free + 1] = u end
    return
  end
  local code = status == 200 and string.match(body, '"code":"([%w_%-]+)"')
  if code then
    queue[#queue + 1] = { code = code, headers = u and as_user(u, "p" .. n) or nil }
    return
  end
  unexpected_response(status, body)
  if u then free[#free + 1] = u end
end
