-- The same request every time (WRK_METHOD, default GET, on the URL's path): the ceilings and the sale
-- reads. No request() function, so wrk builds the request once and spends nothing per request on Lua.
dofile(os.getenv("WRK_LIB"))
wrk.method = os.getenv("WRK_METHOD") or "GET"
