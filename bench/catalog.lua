-- bench/catalog.lua — the learning lab's catalog traffic mix, for wrk (bench/catalog.sh runs it).
--
--   wrk -t2 -c200 -d15s --timeout 10s -s bench/catalog.lua http://127.0.0.1:PORT -- [products]
--
-- Each request is drawn at random (per wrk thread, seeded differently per thread):
--   40 %  GET /api/products                              list, page 1, default per_page (20)
--   30 %  GET /api/products/{id}                         id uniform in 1..products (default 10000)
--   15 %  GET /api/products/search?q={electronics|clothing|home}   one of the three, uniform
--   15 %  GET /api/products?page={1..5}&per_page=20     the lab's second list call; pages 1..5
--         uniform so that it is not the same request (and cache entry) as the 40 %
--
-- At the end it prints one line for bench/catalog.sh to parse:
--   CATALOG requests=.. responses=.. non2xx=.. statuses=200:n,404:n,.. connect=.. read=..
--           write=.. timeout=.. p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. mean_us=..
--           slow_ms=2000 slow=.. mix=list:n,product:n,search:n,pages:n
-- `non2xx` counts every answer outside 200..299 (wrk's own "Non-2xx or 3xx" count lets 3xx
-- through, and its errors.status counts only >= 400). Socket errors are wrk's. Latencies are
-- over every answer: wrk's histogram holds those within --timeout, later ones count as
-- `timeout` errors and sit above them (a percentile among them prints as -1); a request
-- never answered before the run ends counts nowhere. max/mean: recorded answers only. `slow`: answers within
-- --timeout but slower than slow_ms (env CATALOG_SLOW_MS, default 2000), estimated from the
-- histogram. `mix` counts requests issued.

local products = 10000
local list, pages, product, search = nil, {}, {}, {}

-- Per thread (each wrk thread has its own Lua state); read back in done().
-- Plain numeric globals only: thread:get copies scalars reliably across states.
n_list, n_product, n_search, n_pages = 0, 0, 0, 0
n_responses, n_2xx, n_3xx, n_4xx, n_5xx, n_other = 0, 0, 0, 0, 0, 0
n_404, n_429, n_500, n_503 = 0, 0, 0, 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  if args[1] then products = tonumber(args[1]) end
  -- Each thread's Lua state starts with the same random state: seed them apart.
  math.randomseed(os.time() + 7919 * (thread_no or 1))
  for _ = 1, 10 do math.random() end
  list = wrk.format("GET", "/api/products")
  for p = 1, 5 do
    pages[p] = wrk.format("GET", "/api/products?page=" .. p .. "&per_page=20")
  end
  for id = 1, products do
    product[id] = wrk.format("GET", "/api/products/" .. id)
  end
  for i, q in ipairs({ "electronics", "clothing", "home" }) do
    search[i] = wrk.format("GET", "/api/products/search?q=" .. q)
  end
end

function request()
  local r = math.random(100)
  if r <= 40 then
    n_list = n_list + 1
    return list
  elseif r <= 70 then
    n_product = n_product + 1
    return product[math.random(products)]
  elseif r <= 85 then
    n_search = n_search + 1
    return search[math.random(3)]
  else
    n_pages = n_pages + 1
    return pages[math.random(5)]
  end
end

function response(status, headers, body)
  n_responses = n_responses + 1
  if status >= 200 and status < 300 then n_2xx = n_2xx + 1
  elseif status >= 300 and status < 400 then n_3xx = n_3xx + 1
  elseif status >= 400 and status < 500 then n_4xx = n_4xx + 1
  elseif status >= 500 and status < 600 then n_5xx = n_5xx + 1
  else n_other = n_other + 1 end
  if status == 404 then n_404 = n_404 + 1
  elseif status == 429 then n_429 = n_429 + 1
  elseif status == 500 then n_500 = n_500 + 1
  elseif status == 503 then n_503 = n_503 + 1 end
end

-- Share (%) of the recorded latencies above `limit` µs: the smallest percentile above it,
-- found by bisection (latency:percentile is monotonic).
local function share_above(latency, limit)
  if latency.max <= limit then return 0 end
  if latency.min > limit then return 100 end
  local lo, hi = 0, 100
  for _ = 1, 30 do
    local mid = (lo + hi) / 2
    if latency:percentile(mid) > limit then hi = mid else lo = mid end
  end
  return 100 - hi
end

function done(summary, latency, requests)
  local sum = {}
  local keys = { "n_list", "n_product", "n_search", "n_pages", "n_responses", "n_2xx", "n_3xx",
                 "n_4xx", "n_5xx", "n_other", "n_404", "n_429", "n_500", "n_503" }
  for _, k in ipairs(keys) do sum[k] = 0 end
  for _, t in ipairs(threads) do
    for _, k in ipairs(keys) do sum[k] = sum[k] + (tonumber(t:get(k)) or 0) end
  end
  local non2xx = sum.n_responses - sum.n_2xx
  local statuses = {}
  local function add(name, n) if n > 0 then statuses[#statuses + 1] = name .. ":" .. n end end
  add("2xx", sum.n_2xx); add("3xx", sum.n_3xx)
  add("404", sum.n_404); add("429", sum.n_429)
  add("4xx-other", sum.n_4xx - sum.n_404 - sum.n_429)
  add("500", sum.n_500); add("503", sum.n_503)
  add("5xx-other", sum.n_5xx - sum.n_500 - sum.n_503)
  add("other", sum.n_other)
  local e = summary.errors
  -- Answers later than --timeout are wrk's timeout errors and not in `latency`.
  local recorded = summary.requests - e.timeout
  local slow_ms = tonumber(os.getenv("CATALOG_SLOW_MS") or "") or 2000
  local slow = 0
  if recorded > 0 then slow = share_above(latency, slow_ms * 1000) / 100 * recorded end
  -- Percentiles over every answer: the timed-out ones are all above the recorded ones, so
  -- percentile p of all answers is percentile p / (1 - f) of the recorded ones, f the
  -- timed-out share; -1 when it is past --timeout, 0 when there was no answer at all.
  local function pct(p)
    if summary.requests == 0 then return 0 end
    local q = p / (recorded / summary.requests)
    if recorded == 0 or q > 100 then return -1 end
    return latency:percentile(q)
  end
  io.write(string.format(
    "CATALOG requests=%d responses=%d duration_us=%d bytes=%d non2xx=%d statuses=%s "
      .. "connect=%d read=%d write=%d timeout=%d "
      .. "p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.0f "
      .. "slow_ms=%d slow=%.0f "
      .. "mix=list:%d,product:%d,search:%d,pages:%d\n",
    summary.requests, sum.n_responses, summary.duration, summary.bytes, non2xx,
    (#statuses > 0 and table.concat(statuses, ",") or "none"),
    e.connect, e.read, e.write, e.timeout,
    pct(50), pct(90), pct(99), pct(99.9), latency.max, latency.mean,
    slow_ms, slow,
    sum.n_list, sum.n_product, sum.n_search, sum.n_pages))
end
