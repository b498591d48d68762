-- Loaded first by every scenario script in bench/wrk/ (dofile(os.getenv("WRK_LIB"))). Each response is
-- counted by status and checked against what the scenario expects; done() prints one JSON line,
-- "@@bench {...}", that bench/lib/wrk.ts reads: exact p50/p90/p99, a grid of percentiles, status counts, the
-- unexpected answers (with a few samples), script counters and wrk's own CPU time.
--
-- The bench passes its settings in the environment:
--   WRK_EXPECT_STATUS  the status every response must have (default 200)
--   WRK_EXPECT_BODY    a plain substring every response body must contain (optional)
--   WRK_RUN            unique per wrk run: user ids built from it are new in every run
--   WRK_THREADS        wrk's -t (to split per-thread data)
-- A script with its own rule for what is expected defines its own response() after loading this file.

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

expect_status = tonumber(os.getenv("WRK_EXPECT_STATUS") or "200")
expect_body = os.getenv("WRK_EXPECT_BODY")
if expect_body == "" then expect_body = nil end
run_id = os.getenv("WRK_RUN") or "r"
thread_count = tonumber(os.getenv("WRK_THREADS") or "1")

-- Per thread (each thread has its own Lua state); done() adds them up.
statuses, unexpected, samples, counters = {}, 0, {}, {}

function count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function bump(name)
  counters[name] = (counters[name] or 0) + 1
end

function has(body, text)
  return body ~= nil and string.find(body, text, 1, true) ~= nil
end

function unexpected_response(status, body)
  unexpected = unexpected + 1
  if #samples < 5 then samples[#samples + 1] = status .. " " .. string.sub(body or "", 1, 160) end
end

function response(status, headers, body)
  count(status)
  if status ~= expect_status or (expect_body and not has(body, expect_body)) then unexpected_response(status, body) end
end

-- Lines of a file (item ids, codes, tokens), which must exist and not be empty.
function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  assert(#lines > 0, "no lines in " .. path)
  return lines
end

local function encode(v)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return string.format("%.17g", v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

-- The latency at a grid of percentiles (coarse in the middle, fine in the tail; the last is the maximum), so
-- the bench can merge the latencies of several short runs into one distribution (bench/lib/wrk.ts).
local function quantiles(latency)
  local q = {}
  for i = 1, 196 do q[#q + 1] = latency:percentile(i * 0.5) end        -- 0.5 .. 98
  for i = 1, 38 do q[#q + 1] = latency:percentile(98 + i * 0.05) end   -- 98.05 .. 99.9
  for i = 1, 9 do q[#q + 1] = latency:percentile(99.9 + i * 0.01) end  -- 99.91 .. 99.99
  q[#q + 1] = latency.max                                              -- 100
  return table.concat(q, ",")
end

function done(summary, latency, requests)
  local all = { statuses = {}, unexpected = 0, samples = {}, counters = {} }
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      all.statuses[tostring(code)] = (all.statuses[tostring(code)] or 0) + n
    end
    all.unexpected = all.unexpected + t:get("unexpected")
    for _, s in ipairs(t:get("samples")) do
      if #all.samples < 5 then all.samples[#all.samples + 1] = s end
    end
    for name, n in pairs(t:get("counters")) do all.counters[name] = (all.counters[name] or 0) + n end
  end
  local e = summary.errors
  io.write("@@bench ", encode({
    requests = summary.requests,
    duration_us = summary.duration,
    errors = { connect = e.connect, read = e.read, write = e.write, status = e.status, timeout = e.timeout },
    latency_us = {
      p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
      max = latency.max, mean = latency.mean,
    },
    quantiles_us = quantiles(latency),
    statuses = all.statuses,
    unexpected = all.unexpected,
    samples = table.concat(all.samples, "\n"),
    counters = all.counters,
    -- clock(): the CPU time of the whole wrk process (every thread) so far.
    cpu_s = os.clock(),
  }), "\n")
end
