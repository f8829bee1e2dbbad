-- wrk script of bench/run: replays the requests of a file and counts every status.
--
-- BENCH_REQUESTS names a file with one request per line: "METHOD PATH [JSON BODY]".
-- Each thread starts at its own offset and walks the file in order (wrapping round), so
-- the bodies of POSTs differ from one request to the next. BENCH_TOKEN is sent as
-- "Authorization: Token …". done() prints one JSON line, prefixed "BENCH ", with the
-- request rate, latency percentiles (ms) and the count of each HTTP status.
--
-- NOTE: a thread that sends more than its slice's share wraps round inside it, so a
-- slice must hold more requests than a run sends (bench.measure writes 20,000 POSTs).

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  statuses = {}
  local headers = {
    ["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN"),
    ["Accept"] = "application/json",
  }
  local post_headers = {
    ["Authorization"] = headers["Authorization"],
    ["Accept"] = "application/json",
    ["Content-Type"] = "application/json",
  }
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, body = line:match("^(%u+) (%S+) ?(.*)$")
    if method then
      if body == "" then
        table.insert(requests, wrk.format(method, path, headers))
      else
        table.insert(requests, wrk.format(method, path, post_headers, body))
      end
    end
  end
  -- BENCH_SLICE "i/n" (requests that must not repeat: visit POSTs, one visit per patient,
  -- kind and day): this run takes the i-th of n equal slices of the file, shared out
  -- between the BENCH_THREADS threads. Otherwise each thread starts at its own offset.
  local slice = os.getenv("BENCH_SLICE")
  if slice then
    local index, count = slice:match("^(%d+)/(%d+)$")
    local size = math.floor(#requests / tonumber(count))
    share = math.floor(size / tonumber(os.getenv("BENCH_THREADS") or "1"))
    first = tonumber(index) * size + thread_number * share
    sent = 0
  else
    position = (thread_number * 7919) % #requests
  end
end

function request()
  if share then
    sent = sent + 1
    return requests[first + (sent - 1) % share + 1]
  end
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, '
      .. '"p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "statuses": {%s}, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, table.concat(parts, ", "),
    errors.connect, errors.read, errors.write, errors.timeout))
end
