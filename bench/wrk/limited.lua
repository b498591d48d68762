-- One buyer past its rate limit (a bot): the same request every time (static.lua's), each answer 429
-- rate_limited, except the requests its window lets in again as it slides (counted as "accepted"; every
-- other answer is unexpected). The scenario checks from the app's metrics that the 429s came from memory.
-- WRK_AUTHORIZATION, when set, is sent as the Authorization header (a forged session: what the window lets
-- in is then answered 401 unauthorized, also counted as "accepted").
dofile(os.getenv("WRK_LIB"))
wrk.method = "POST"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization == "" then authorization = nil end
if authorization then wrk.headers["Authorization"] = authorization end

function response(status, headers, body)
  count(status)
  if status == 429 and has(body, '"code":"rate_limited"') then return end
  if status == 200 or (authorization and status == 401) then return bump("accepted") end
  unexpected_response(status, body)
end
