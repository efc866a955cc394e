-- wrk script for bench/load.py.
--
-- WRK_PATHS: the paths to request, one a line, in rotation; a leading "!"
-- sends that one without the cookie (the anonymous baseline).
-- WRK_COOKIE: the Cookie header of the signed-in user.
--
-- done() prints one JSON object: throughput, latency percentiles, wrk's
-- socket errors, and the non-2xx and 5xx responses counted in response()
-- (wrk itself only counts statuses above 399, and not 5xx apart).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  prepared = {}
  local cookie = os.getenv("WRK_COOKIE") or ""
  for line in string.gmatch(os.getenv("WRK_PATHS") or "/", "[^\n]+") do
    local anonymous = line:sub(1, 1) == "!"
    local path = anonymous and line:sub(2) or line
    local headers = {}
    if cookie ~= "" and not anonymous then
      headers["Cookie"] = cookie
    end
    table.insert(prepared, wrk.format("GET", path, headers))
  end
  sent = 0
  non_2xx = 0
  server_errors = 0
end

function request()
  sent = sent + 1
  return prepared[(sent - 1) % #prepared + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
  if status >= 500 then
    server_errors = server_errors + 1
  end
end

function done(summary, latency, requests)
  local total_non_2xx, total_server_errors = 0, 0
  for _, thread in ipairs(threads) do
    total_non_2xx = total_non_2xx + thread:get("non_2xx")
    total_server_errors = total_server_errors + thread:get("server_errors")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "bytes": %d, "requests_per_s": %.2f, '
      .. '"latency_ms": {"p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"non_2xx": %d, "server_errors": %d}\n',
    summary.requests, seconds, summary.bytes, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout,
    total_non_2xx, total_server_errors
  ))
end
