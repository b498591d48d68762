-- One buyer past its rate limit (a bot): the same request every time (static.lua's), each answer 429
-- rate_limited, except the requests its window lets in again as it slides (counted as "accepted"; every
-- other answer is unexpected). The scenario checks from the app's metrics that the 429s came from memory.
dofile(os.getenv("WRK_LIB"))
wrk.method = "POST"

function response(status, headers, body)
  count(status)
  if status == 429 and has(body, '"code":"rate_limited"') then return end
  if status == 200 then return bump("accepted") end
  unexpected_response(status, body)
end
