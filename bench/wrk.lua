-- One page under load, for bench/run.py. wrk runs this in each of its threads, with everything it needs in the
-- environment (a Lua state has no other way in):
--   BENCH_METHOD   GET or POST
--   BENCH_PATH     the path and query string
--   BENCH_ORIGIN   https://127.0.0.1:<port>, sent as Origin and in the Referer of every POST
--   BENCH_SESSIONS signed-in sessions, "sessionid csrftoken masked-token" separated by ";". Requests take them in turn,
--                  so concurrent requests belong to different sessions, as sixteen people at sixteen desks would.
-- Every request says it came through the TLS proxy (X-Forwarded-Proto: https); the server runs production settings.
-- At the end it prints one line of JSON: the latency percentiles, the request count and the count of each status.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  statuses = {}
  local method = os.getenv("BENCH_METHOD") or "GET"
  local path = os.getenv("BENCH_PATH") or "/"
  local origin = os.getenv("BENCH_ORIGIN") or ""
  prepared = {}
  for _, session in ipairs(split(os.getenv("BENCH_SESSIONS") or "", ";")) do
    local fields = split(session, " ")
    local headers = {
      ["X-Forwarded-Proto"] = "https",
      ["Cookie"] = "sessionid=" .. fields[1] .. "; csrftoken=" .. fields[2],
      ["Accept"] = "text/html,application/json",
    }
    if method == "POST" then
      headers["Origin"] = origin
      headers["Referer"] = origin .. "/"
      headers["X-CSRFToken"] = fields[3]
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    table.insert(prepared, wrk.format(method, path, headers, method == "POST" and "" or nil))
  end
  -- Each thread starts at a different session, so two threads do not walk the same ones in step.
  turn = (id or 0) * 7
end

function request()
  turn = turn + 1
  return prepared[(turn % #prepared) + 1]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, count in pairs(seen or {}) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, errors.connect, errors.read, errors.write, errors.timeout, table.concat(parts, ", ")
  ))
end
