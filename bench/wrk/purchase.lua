-- POST /purchase?code=<code>, the codes taken in turn from WRK_CODES (a file, one a line). For answers that
-- repeat for the same code (a code whose sale ended answers 409 sale_ended every time).
dofile(os.getenv("WRK_LIB"))
wrk.method = "POST"
local codes = read_lines(os.getenv("WRK_CODES"))
local n = 0

function init(args)
  n = tid - 1
end

function request()
  n = n + 1
  return wrk.format(nil, "/purchase?code=" .. codes[n % #codes + 1])
end
