#!/usr/bin/env bash
# bench/catalog.sh — the learning lab's catalog traffic against ShopDesk, cache on and off,
# with nginx serving the same answers as static files as the ceiling.
#
# Usage:  bench/catalog.sh
#   1. Copies the ShopDesk binary to a temporary directory, creates a fresh data dir there
#      and runs `shopdesk seed-demo --products $PRODUCTS` (8 categories, N products).
#   2. Starts `shopdesk --headless --threads 2 --access-log off` on it, walks the whole
#      catalog once (bench/catalog_check.py: checks every answer, primes the cache, keeps
#      the bodies), then replays the mix of bench/catalog.lua with wrk at each connection
#      level, after a short warm-up at that level:
#        40 % GET /api/products                          (page 1, default per_page 20)
#        30 % GET /api/products/{id}                     (id uniform in 1..PRODUCTS)
#        15 % GET /api/products/search?q=electronics|clothing|home
#        15 % GET /api/products?page={1..5}&per_page=20   (the lab's second list call)
#   3. The same with the server restarted with `--catalog-cache off` (same data).
#   4. nginx serving the bodies ShopDesk answered in step 2, one static file per URL,
#      with the same mix and levels: the HTTP ceiling of this machine.
#   5. Prints a Markdown table and writes bench/results/catalog-<date>_<time>.md and a
#      chart, catalog-<date>_<time>.png (p50/p99 latency and req/s against connections),
#      drawn by bench/chart (Qt Charts), built on first use into build-benchchart/.
#   Everything listens on 127.0.0.1 only; every load is bounded by wrk's -d; a trap stops
#   everything started (ShopDesk, its PostgreSQL, nginx) and removes the temporary
#   directory, also on failure or Ctrl-C. About 6 minutes with the defaults.
#   Needs: wrk, nginx (nginx-light), curl, python3; for the chart cmake, ninja (or make),
#   qt6-charts-dev and libqt6opengl6-dev.
#
# Environment (defaults in brackets):
#   SHOPDESK_BIN   binary to test [build/app/shopdesk]; copied first, so a rebuild during
#                  the run does not disturb it
#   PRODUCTS       products to seed, and the id range of the mix [10000]
#   LEVELS         connection counts ["50 200 1000 5000"]
#   DURATION       seconds per measured run [15]
#   WARMUP         seconds of the same mix at the same level before each level [3]
#   RUNS           measured runs per level, medians reported [1]
#   WRK_THREADS    wrk threads [2]
#   WRK_TIMEOUT    wrk per-request timeout: later answers are socket errors (timeout), and
#                  the percentiles show them as "> timeout" [10s: long, so overload shows
#                  as latency]
#   SLOW_MS        answers slower than this are counted as "slow" [2000]
#   SERVER_THREADS ShopDesk --threads, and nginx worker_processes [2]
#   SETTLE         seconds of rest after each run [2]
#   CHECK_TIMEOUT  seconds the catalog check (every URL once) may take [300]
#   CHART_BIN      a built shopdesk_benchchart to use instead of building bench/chart
#   KEEP_TMP=1     keep the temporary directory (logs, raw wrk output, captured bodies)
#
# Exit status: 0 when both ShopDesk runs survived every level and the catalog check found
# nothing wrong; 1 otherwise (errors under load are reported, they do not fail the run).
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHOPDESK_SRC=${SHOPDESK_BIN:-$REPO_DIR/build/app/shopdesk}
PRODUCTS=${PRODUCTS:-10000}
LEVELS=${LEVELS:-"50 200 1000 5000"}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
RUNS=${RUNS:-1}
WRK_THREADS=${WRK_THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
SLOW_MS=${SLOW_MS:-2000}
SERVER_THREADS=${SERVER_THREADS:-2}
SETTLE=${SETTLE:-2}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-300}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
LUA=$BENCH_DIR/catalog.lua
CHECK=$BENCH_DIR/catalog_check.py

for tool in wrk curl "$NGINX" "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk nginx-light curl python3)"
done
[[ -x $SHOPDESK_SRC ]] || die "no ShopDesk binary at $SHOPDESK_SRC (build it, or set SHOPDESK_BIN)"
[[ -f $LUA && -f $CHECK ]] || die "bench/catalog.lua or bench/catalog_check.py missing"

max_level=0
for l in $LEVELS; do (( l > max_level )) && max_level=$l; done
# wrk needs one descriptor per connection (ShopDesk raises its own limit; nginx gets
# worker_rlimit_nofile).
raise_nofile $(( max_level + 1024 ))
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_BEFORE: other work on this machine will skew the numbers"

TMP=$(make_tmp catalog)
SD_PID='' NGX_PID='' WRK_PID='' SAMPLER_PID=''
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $WRK_PID ]] && kill -TERM "$WRK_PID" 2>/dev/null
  [[ -n $SAMPLER_PID ]] && kill -TERM "$SAMPLER_PID" 2>/dev/null
  stop_sd
  stop_nginx
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SD=$TMP/sd            # binary, data dir (SD/data) and logs of ShopDesk
mkdir -p "$SD"
cp "$SHOPDESK_SRC" "$SD/shopdesk"

# The embedded cluster's directory: under the data dir, or (as root, when the database
# account cannot reach it) /var/lib/shopdesk/<hash>, which the server's log names.
pg_dir() {
  local d=$SD/data/database/postgres root
  if [[ -f $d/PG_VERSION ]]; then echo "$d"; return; fi
  root=$(sed -n 's#.*so the cluster lives in \(/var/lib/shopdesk/[0-9a-zA-Z]*\)$#\1#p' "$SD"/*.log 2>/dev/null | tail -1)
  [[ -n $root ]] && echo "$root/postgres"
}
postmaster_pid() {
  local d
  d=$(pg_dir) || true
  if [[ -n $d && -f $d/postmaster.pid ]]; then head -1 "$d/postmaster.pid"; fi
}
# CPU ticks of PostgreSQL: the postmaster's own and its reaped children's (cutime,
# cstime), plus every live child's. Differences of this are exact across backends that
# start or exit during a run.
pg_ticks() {
  local pm=$1 stat s p
  [[ -n $pm ]] || { echo 0; return; }
  stat=$(cat "/proc/$pm/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat                      # $1 = field 3; utime $12, stime $13, cutime $14, cstime $15
  s=$(( ${12} + ${13} + ${14} + ${15} ))
  for p in $(pgrep -P "$pm" || true); do s=$(( s + $(proc_ticks "$p") )); done
  echo "$s"
}

# Stop ShopDesk (it stops its cluster), keep its log as shopdesk-<mode>.log, and stop a
# cluster left behind by a crashed server.
SD_MODE=''
stop_sd() {
  local pm
  stop_shopdesk "$SD"
  [[ -f $SD/shopdesk.log && -n $SD_MODE ]] && mv "$SD/shopdesk.log" "$SD/shopdesk-$SD_MODE.log"
  pm=$(postmaster_pid)
  if [[ -n $pm ]] && kill -0 "$pm" 2>/dev/null; then
    log "embedded PostgreSQL $pm still running: stopping it"
    kill -INT "$pm" 2>/dev/null || true   # fast shutdown
    for _ in $(seq 1 40); do kill -0 "$pm" 2>/dev/null || break; sleep 0.25; done
  fi
  return 0
}

RESULTS=$TMP/runs.tsv
printf 'server\tconns\trun\twrk_file\tcpu_pct\tpg_cpu_pct\trss_kb\thwm_kb\tconn_open_after\tstate\tdrain_s\twrk_cpu_pct\tother_cpu_pct\n' >"$RESULTS"
# Busy ticks of the whole machine (user, nice, system, irq, softirq, steal).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# Seconds of CPU this shell's finished children used: bash's `times`, second line. Call it
# as `times >"$TIMES"; x=$(children_s)`: `times` inside $( ) would see the subshell's.
TIMES=$TMP/times.txt
children_s() { awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } print s }' "$TIMES"; }
sum_ticks() { local s=0 p; for p in "$@"; do s=$(( s + $(proc_ticks "$p") )); done; echo "$s"; }
sum_kb() { local s=0 p k=$1; shift; for p in "$@"; do s=$(( s + $(proc_kb "$p" "$k") )); done; echo "$s"; }

# wait_drained PORT SERVER WHAT — after wrk has gone: until ShopDesk answers /metrics with
# connections_open <= 1 and it and its PostgreSQL are idle (under 10 % of a core over
# half a second), 60 s at most. A server that keeps working for clients that are gone
# shows here. Sets DRAIN_OPEN (connections_open, or "no answer") and DRAIN_S (seconds).
wait_drained() {
  local port=$1 t0 pm a b
  t0=$(now_s); pm=$(postmaster_pid)
  DRAIN_OPEN='no answer'
  while awk -v t0="$t0" -v t="$(now_s)" 'BEGIN { exit !(t - t0 < 60) }'; do
    DRAIN_OPEN=$(metric "$port" shopdesk_http_connections_open || true)
    DRAIN_OPEN=${DRAIN_OPEN%%$'\n'*}   # metric() may print "?" twice
    if [[ $DRAIN_OPEN =~ ^[0-9]+$ ]] && (( DRAIN_OPEN <= 1 )); then
      a=$(( $(proc_ticks "$SD_PID") + $(pg_ticks "$pm") )); sleep 0.5
      b=$(( $(proc_ticks "$SD_PID") + $(pg_ticks "$pm") ))
      (( (b - a) * 100 < 10 * $(getconf CLK_TCK) / 2 )) && break
    else
      sleep 0.25
    fi
  done
  [[ $DRAIN_OPEN =~ ^[0-9]+$ ]] || DRAIN_OPEN='no answer'
  DRAIN_S=$(awk -v t0="$t0" -v t="$(now_s)" 'BEGIN { printf "%.1f", t - t0 }')
  awk -v d="$DRAIN_S" 'BEGIN { exit !(d >= 2) }' && log "$2 busy for ${DRAIN_S} s after the $3 (connections_open: $DRAIN_OPEN)"
  return 0
}

wrk_mix() { # CONNS SECONDS PORT OUTFILE
  CATALOG_SLOW_MS=$SLOW_MS wrk -t"$WRK_THREADS" -c"$1" -d"$2s" --timeout "$WRK_TIMEOUT" -s "$LUA" \
    "http://127.0.0.1:$3" -- "$PRODUCTS" >"$4" 2>&1
}

# run_level SERVER PORT CONNS RUN — SERVER is cached, uncached or nginx. Returns 1 when
# ShopDesk died during the run.
run_level() {
  local server=$1 port=$2 conns=$3 run=$4
  local out=$TMP/wrk-$server-$conns-$run.txt pids=() pm='' t0 t1 c0 c1 p0=0 p1=0 rc=0
  if [[ $server == nginx ]]; then
    read -ra pids <<<"$NGX_PID $(pgrep -P "$NGX_PID" | tr '\n' ' ')"
  else
    pids=("$SD_PID"); pm=$(postmaster_pid)
  fi
  local b0 b1 w0 w1
  c0=$(sum_ticks "${pids[@]}"); [[ -n $pm ]] && p0=$(pg_ticks "$pm"); t0=$(now_s)
  b0=$(busy_ticks); times >"$TIMES"; w0=$(children_s)
  wrk_mix "$conns" "$DURATION" "$port" "$out" &
  WRK_PID=$!
  (
    peak=0
    while kill -0 "$WRK_PID" 2>/dev/null; do
      r=$(sum_kb VmRSS "${pids[@]}"); (( r > peak )) && peak=$r
      echo "$peak" >"$out.rss"; sleep 0.25
    done
  ) &
  SAMPLER_PID=$!
  wait "$WRK_PID" || rc=$?
  t1=$(now_s); c1=$(sum_ticks "${pids[@]}"); [[ -n $pm ]] && p1=$(pg_ticks "$pm")
  b1=$(busy_ticks); times >"$TIMES"; w1=$(children_s)
  WRK_PID=
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=
  [[ $rc == 0 ]] || log "wrk exited $rc: $(tail -3 "$out" | tr '\n' ' ')"
  local hz cpu pgcpu='' rss hwm open=- state=ok drain=''
  hz=$(getconf CLK_TCK)
  cpu=$(awk -v c="$(( c1 - c0 ))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * c / hz / (t1 - t0) }')
  [[ -n $pm ]] && pgcpu=$(awk -v c="$(( p1 - p0 ))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * c / hz / (t1 - t0) }')
  # wrk's CPU: what this shell's finished children used (wrk, and the sampler); the rest
  # of the machine's busy time that is neither wrk nor the servers is someone else's.
  local wrkcpu other
  wrkcpu=$(awk -v a="$w0" -v b="$w1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * (b - a) / (t1 - t0) }')
  other=$(awk -v b="$(( b1 - b0 - (c1 - c0) - (p1 - p0) ))" -v w="$wrkcpu" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    'BEGIN { o = 100 * b / hz / (t1 - t0) - w; printf "%.0f", o < 0 ? 0 : o }')
  rss=$(cat "$out.rss" 2>/dev/null || echo 0)
  hwm=$(sum_kb VmHWM "${pids[@]}")
  if [[ $server != nginx ]]; then
    if ! kill -0 "$SD_PID" 2>/dev/null; then
      local st=0
      wait "$SD_PID" 2>/dev/null || st=$?
      state="died (exit status $st)"
      if (( st > 128 )); then state="died (signal $(kill -l $(( st - 128 )) 2>/dev/null || echo $(( st - 128 ))))"; fi
      log "ShopDesk DIED during the $server run at $conns connections: $state"
      tail -30 "$SD/shopdesk.log" >&2
      SD_PID=
    else
      wait_drained "$port" "$server" "run at $conns connections"
      open=$DRAIN_OPEN drain=$DRAIN_S
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$conns" "$run" "$out" "$cpu" "$pgcpu" \
    "$rss" "$hwm" "$open" "$state" "$drain" "$wrkcpu" "$other" >>"$RESULTS"
  log "$server c=$conns run $run: $(awk '/^Requests\/sec/ { print $2 " req/s" }' "$out") $(grep -ho 'non2xx=[0-9]* statuses=[^ ]*' "$out" || true)$(grep -h 'Socket errors' "$out" | sed 's/^ */, /') cpu ${cpu}%${pgcpu:+ (PostgreSQL ${pgcpu}%)} rss ${rss}kB; wrk ${wrkcpu}%, other processes ${other}%"
  [[ $state == ok ]] || return 1
  sleep "$SETTLE"
}

bench_levels() { # SERVER PORT
  local server=$1 port=$2 conns run
  for conns in $LEVELS; do
    log "warm-up: $server, ${WARMUP} s at $conns connections"
    wrk_mix "$conns" "$WARMUP" "$port" "$TMP/warmup-$server-$conns.txt" || true
    # What the warm-up left queued must not eat into the measured run.
    [[ $server != nginx ]] && wait_drained "$port" "$server" "warm-up at $conns connections"
    for run in $(seq 1 "$RUNS"); do
      run_level "$server" "$port" "$conns" "$run" || return 0   # the server died: next server
    done
  done
}

# ---- 1. seed ---------------------------------------------------------------------
log "seed-demo: $PRODUCTS products into a fresh data dir"
t0=$(now_s)
if ! (cd "$SD" && ./shopdesk seed-demo --products "$PRODUCTS" --data-dir "$SD/data") >"$SD/seed.log" 2>&1; then
  tail -30 "$SD/seed.log" >&2
  die "shopdesk seed-demo failed (does this binary have it? $SHOPDESK_SRC)"
fi
SEED_SECONDS=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
log "seeded in ${SEED_SECONDS} s"
stop_sd   # in case seed-demo left its cluster behind

# ---- 2. + 3. ShopDesk, catalog cache on and off ------------------------------------
SD_PORT=$(free_port 18281)
CHECK_FAILED=0 SD_DIED=0
declare -A IDLE_RSS
for mode in cached uncached; do
  SD_MODE=$mode
  args=(--threads "$SERVER_THREADS")
  [[ $mode == uncached ]] && args+=(--catalog-cache off)
  start_shopdesk "$SD" "$SD_PORT" "${args[@]}"
  IDLE_RSS[$mode]=$(proc_kb "$SD_PID" VmRSS)
  log "catalog check ($mode): every product once, one connection"
  capture=()
  [[ $mode == cached ]] && capture=(--capture "$TMP/nginx/html")
  timeout "$CHECK_TIMEOUT" "$PYTHON" "$CHECK" --port "$SD_PORT" --products "$PRODUCTS" "${capture[@]}" --json "$TMP/check-$mode.json" \
    | tee "$TMP/check-$mode.txt" >&2 || die "catalog check failed: no answer from ShopDesk, or not done within CHECK_TIMEOUT=${CHECK_TIMEOUT}s"
  grep -q 'no problem' "$TMP/check-$mode.txt" || CHECK_FAILED=1
  curl -sS --max-time 5 "http://127.0.0.1:$SD_PORT/metrics" >"$TMP/metrics-$mode-before.txt" 2>/dev/null || true
  bench_levels "$mode" "$SD_PORT"
  if [[ -n $SD_PID ]]; then
    curl -sS --max-time 5 "http://127.0.0.1:$SD_PORT/metrics" >"$TMP/metrics-$mode.txt" 2>/dev/null || true
  else
    SD_DIED=1
  fi
  stop_sd
done
PG_VERSION=$(cat "$(pg_dir)/PG_VERSION" 2>/dev/null || echo '?')

# ---- 4. nginx ceiling: the same answers as static files ----------------------------
[[ -f $TMP/nginx/html/list/page.json ]] || die "no captured bodies for nginx (the cached catalog check failed early)"
NGX_PORT=$(free_port $(( SD_PORT + 1 )))
# Every URL of the mix maps to the file holding ShopDesk's answer to it.
start_nginx "$TMP/nginx" "$NGX_PORT" "$max_level" "$SERVER_THREADS" "$(cat <<'EOF'
        open_file_cache max=20000 inactive=600s;
        sendfile on;
        tcp_nopush on;
        location = /api/products { try_files /list/page$arg_page.json =404; }
        location = /api/products/search { try_files /search/$arg_q.json =404; }
        location ~ ^/api/products/([0-9]+)$ { try_files /product/$1.json =404; }
EOF
)"
# nginx must answer with ShopDesk's bytes.
declare -A NGX_CHECK=([/api/products]=list/page.json ['/api/products?page=3&per_page=20']=list/page3.json
  [/api/products/1]=product/1.json ["/api/products/$PRODUCTS"]=product/$PRODUCTS.json
  ['/api/products/search?q=home']=search/home.json)
for u in "${!NGX_CHECK[@]}"; do
  f=$TMP/nginx/html/${NGX_CHECK[$u]}
  [[ -f $f ]] || continue   # the catalog check reported why
  curl -fsS "http://127.0.0.1:$NGX_PORT$u" | cmp -s - "$f" || die "nginx does not answer $u with ShopDesk's captured body"
done
bench_levels nginx "$NGX_PORT"
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/.*\///')
stop_nginx

# ---- 5. report ---------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
STAMP=$(date +%Y-%m-%d_%H%M)
OUT=$BENCH_DIR/results/catalog-$STAMP.md
PNG=$BENCH_DIR/results/catalog-$STAMP.png
CSV=$TMP/chart.csv
{
  echo "# Catalog mix: ShopDesk with and without its catalog cache, against an nginx ceiling ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine and versions:"
  echo
  machine_info
  echo "- versions: $(wrk -v 2>&1 | head -1 | awk '{ print "wrk " $2 }'), nginx $NGINX_VERSION, PostgreSQL $PG_VERSION (embedded cluster), Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null || echo '?'), $("$PYTHON" --version 2>&1)"
  echo "- data: \`shopdesk seed-demo --products $PRODUCTS\` into a fresh data dir (${SEED_SECONDS} s); its summary is below"
  echo "- load: \`wrk -t$WRK_THREADS -c<conns> -d${DURATION}s --timeout $WRK_TIMEOUT -s bench/catalog.lua\`, a ${WARMUP} s warm-up with the same mix before each level, $RUNS measured run(s) per level$( (( RUNS > 1 )) && echo ' (medians; errors summed; RSS largest)')"
  echo "- mix (bench/catalog.lua): 40 % \`GET /api/products\` (page 1, default per_page 20); 30 % \`GET /api/products/{id}\`, id uniform in 1..$PRODUCTS; 15 % \`GET /api/products/search?q=\` electronics, clothing or home; 15 % \`GET /api/products?page={1..5}&per_page=20\` (the lab's second list call, spread over five pages so it is not the same request as the 40 %)"
  echo "- ShopDesk: \`--headless --threads $SERVER_THREADS --access-log off\` (cached), the same plus \`--catalog-cache off\` (uncached), same data; before each, bench/catalog_check.py asked once for every URL of the mix (priming the cache and PostgreSQL's buffers alike)"
  echo "- nginx $NGINX_VERSION: worker_processes $SERVER_THREADS, \`listen ... backlog=4096 reuseport\`, keepalive_requests 1000000, access_log off, open_file_cache, sendfile; it serves, for every URL of the mix, the body ShopDesk answered to it (captured by the check), one file per URL"
  echo "- load generator and servers share the same $(nproc) cores; load average right after the run (wrk and the servers count in it): $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$PYTHON" - "$RESULTS" "$CSV" "$TMP" "${IDLE_RSS[cached]:-0}" "${IDLE_RSS[uncached]:-0}" "$SLOW_MS" "$WRK_TIMEOUT" <<'PY'
import csv, json, os, re, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
csv_out, tmp = sys.argv[2], sys.argv[3]
idle = {"cached": int(sys.argv[4]), "uncached": int(sys.argv[5])}
SLOW_MS, TIMEOUT = int(sys.argv[6]), sys.argv[7]
SLOW = "%g s" % (SLOW_MS / 1000)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}

def parse(path):
    text = open(path).read()
    r = {"rps": None, "p50": None, "p99": None, "connect": 0, "read": 0, "write": 0, "timeout": 0,
         "non2xx": 0, "statuses": "", "requests": 0, "slow": 0, "recorded": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m: r["rps"] = float(m.group(1))
    m = re.search(r"^CATALOG (.*)$", text, re.M)
    if m:
        kv = dict(f.split("=", 1) for f in m.group(1).split())
        r.update(non2xx=int(kv["non2xx"]), statuses=kv["statuses"], requests=int(kv["requests"]),
                 slow=int(float(kv["slow"])), **{k: int(kv[k]) for k in ("connect", "read", "write", "timeout")})
        r["recorded"] = r["requests"] - r["timeout"]
        if r["requests"] > 0:   # -1: past wrk's --timeout
            r.update(p50=int(kv["p50_us"]) / 1000, p99=int(kv["p99_us"]) / 1000)
    r["ok"] = r["rps"] is not None and m is not None
    return r

agg = {}
for row in rows:
    w = parse(row["wrk_file"])
    w.update(run=int(row["run"]), cpu=float(row["cpu_pct"]),
             pg=float(row["pg_cpu_pct"]) if row["pg_cpu_pct"] else None,
             rss=int(row["rss_kb"]), hwm=int(row["hwm_kb"]), state=row["state"], open=row["conn_open_after"],
             drain=float(row["drain_s"]) if row["drain_s"] else None,
             wrk=float(row["wrk_cpu_pct"]), other=float(row["other_cpu_pct"]))
    agg.setdefault((row["server"], int(row["conns"])), []).append(w)

def med(runs, k):
    # a percentile of -1 (past the timeout) sorts above every number
    xs = [float("inf") if r[k] == -1 else r[k] for r in runs if r[k] is not None]
    if not xs: return None
    m = statistics.median(xs)
    return -1 if m == float("inf") else m

def summary(runs):
    statuses = {}
    for r in runs:
        for part in filter(None, r["statuses"].split(",")):
            if part == "none": continue
            k, n = part.rsplit(":", 1)
            statuses[k] = statuses.get(k, 0) + int(n)
    return {"rps": med(runs, "rps"), "p50": med(runs, "p50"), "p99": med(runs, "p99"),
            "cpu": med(runs, "cpu"), "pg": med(runs, "pg"), "rss": max(r["rss"] for r in runs),
            "hwm": max(r["hwm"] for r in runs),
            "err": {k: sum(r[k] for r in runs) for k in ("connect", "read", "write", "timeout")},
            "non2xx": sum(r["non2xx"] for r in runs), "statuses": statuses,
            "requests": sum(r["requests"] for r in runs), "slow": sum(r["slow"] for r in runs),
            "fewest": min(r["requests"] for r in runs),
            "failed": sum(not r["ok"] for r in runs),
            "died": next((r["state"] for r in runs if r["state"] != "ok"), None),
            "open": runs[-1]["open"], "drain": max((r["drain"] or 0) for r in runs),
            "wrk": med(runs, "wrk"), "other": max(r["other"] for r in runs)}

S = {k: summary(v) for k, v in agg.items()}
levels = sorted({c for _, c in agg})
SERVERS = ["cached", "uncached", "nginx"]

def ms(v):
    if v is None: return "n/a"
    if v < 0: return "> " + TIMEOUT
    return "%.2f ms" % v if v < 10 else "%.1f ms" % v if v < 100 else "%.0f ms" % v
def ms_or_none(v): return None if v is None or v < 0 else v   # the chart has no point past the timeout
def mib(kb): return "%.1f MiB" % (kb / 1024)
def num(v): return "n/a" if v is None else "{:,.0f}".format(v)
def ratio(a, b): return "n/a" if a is None or not b else "%.2f×" % (a / b)
def sock(s):
    e = s["err"]; t = sum(e.values())
    if not t: return "0"
    parts = ", ".join("%s %d" % (k, v) for k, v in e.items() if v)
    return "**%d** (%s)" % (t, parts)
def slow(s, c):
    if not s["requests"]:
        return "**no answer at all**"
    late = s["slow"] + s["err"]["timeout"]   # within the timeout but slow, plus past it
    txt = "0" if not late else "**%.1f %%** (%s)" % (100.0 * late / s["requests"], "{:,}".format(late))
    if s["fewest"] < c:
        txt += "; **%s answers for %s connections**" % ("{:,}".format(s["fewest"]), "{:,}".format(c))
    return txt
def non2xx(s):
    if not s["non2xx"]: return "0"
    detail = ", ".join("%s: %d" % (k, v) for k, v in s["statuses"].items() if k != "2xx")
    pct = 100.0 * s["non2xx"] / s["requests"] if s["requests"] else 0
    return "**%d** (%.2f %%; %s)" % (s["non2xx"], pct, detail)

print("| conns | server | req/s | ÷ nginx | p50 | p99 | answers > %s | socket errors | non-2xx answers | server CPU | PostgreSQL CPU | server RSS peak |" % SLOW)
print("|---:|---|---:|---:|---:|---:|---|---|---|---:|---:|---:|")
for c in levels:
    ng = S.get(("nginx", c))
    first = True
    for srv in SERVERS:
        s = S.get((srv, c))
        if not s: continue
        name = {"cached": "ShopDesk, cache on", "uncached": "ShopDesk, cache off", "nginx": "nginx (static)"}[srv]
        if s["died"]:
            name += " — **%s**" % s["died"]
        if s["failed"]:
            name += " — **%d wrk run(s) without a result**" % s["failed"]
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            ("**%s**" % "{:,}".format(c)) if first else "", name, num(s["rps"]),
            ratio(s["rps"], ng and ng["rps"]) if srv != "nginx" else "—",
            ms(s["p50"]), ms(s["p99"]), slow(s, c), sock(s), non2xx(s),
            "n/a" if s["cpu"] is None else "%.0f%%" % s["cpu"],
            "—" if s["pg"] is None else "%.0f%%" % s["pg"], mib(s["rss"])))
        first = False
print()
print("req/s: wrk's Requests/sec, every answer counted whatever its status. p50/p99: wrk's latency "
      "histogram, printed by bench/catalog.lua's done(); wrk measures from the moment it writes a "
      "request, so with many connections the latency is mostly queueing (p50 ≈ connections / req/s); "
      "answers later than wrk's --timeout (" + TIMEOUT + ") are socket errors (timeout) and count in the "
      "percentiles as above it (\"> " + TIMEOUT + "\"), and a request not answered when the run ends counts "
      "nowhere (hence the warning when a run got fewer answers than it had connections). Answers > "
      + SLOW + ": their share of all answers, from the histogram plus the timeouts. "
      "Socket errors: wrk's connect/read/write/timeout. Non-2xx: every answer outside 200–299, counted "
      "by catalog.lua's response() (wrk itself lets 3xx pass). CPU: utime+stime over the wall time of "
      "the run from /proc/<pid>/stat, 100%% = one core; server = the ShopDesk process, or nginx master "
      "and workers; PostgreSQL = the embedded cluster's postmaster and every backend (cutime/cstime "
      "included, so backends that exit are counted). RSS peak: largest VmRSS sampled every 0.25 s "
      "during the run (for nginx summed over its processes). ShopDesk's idle RSS after start: %s "
      "(cache on), %s (cache off)." % (mib(idle["cached"]), mib(idle["uncached"])))
print()

# Other work on the machine during the runs.
others = sorted(((s["other"], srv, c) for (srv, c), s in S.items()), reverse=True)
busy = [o for o in others if o[0] >= 10]
print("wrk itself used %s of a core; other processes on the machine (neither wrk nor the servers) used %s. %s" % (
    "–".join(sorted({"%.0f%%" % v for v in (min(s["wrk"] for s in S.values()), max(s["wrk"] for s in S.values()))}, key=lambda x: float(x[:-1]))),
    "at most %.0f%% of a core during a run" % others[0][0] if others else "nothing measurable",
    ("**Runs disturbed by other work (≥ 10%% of a core): %s; their figures are low.**" %
     ", ".join("%s at %s (%.0f%%)" % (srv, "{:,}".format(c), o) for o, srv, c in busy)) if busy else "No run was disturbed by other work (all under 10% of a core)."))
print()

# Cache on against cache off, in a sentence per level.
lines = []
for c in levels:
    a, b = S.get(("cached", c)), S.get(("uncached", c))
    if a and b and a["rps"] and b["rps"]:
        lines.append("%s connections: %.1f× the throughput, p99 %s against %s" % (
            "{:,}".format(c), a["rps"] / b["rps"], ms(a["p99"]), ms(b["p99"])))
if lines:
    print("Cache on against cache off: " + "; ".join(lines) + ".")
    print()

# VmHWM and /metrics connections, per level.
print("<details><summary>ShopDesk after each level: VmHWM, connections_open, seconds until idle</summary>")
print()
print("Seconds until idle: from wrk's exit until ShopDesk answers /metrics with connections_open ≤ 1 "
      "and it and PostgreSQL use under 10 % of a core: work done for clients that have gone.")
print()
print("| conns | cache on: VmHWM | connections_open | s until idle | cache off: VmHWM | connections_open | s until idle |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for c in levels:
    a, b = S.get(("cached", c)), S.get(("uncached", c))
    def cell(s, k):
        if not s: return "n/a"
        return mib(s[k]) if k == "hwm" else ("%.1f" % s[k]) if k == "drain" else s[k]
    print("| %s | %s | %s | %s | %s | %s | %s |" % ("{:,}".format(c), cell(a, "hwm"), cell(a, "open"), cell(a, "drain"),
                                                   cell(b, "hwm"), cell(b, "open"), cell(b, "drain")))
print()
print("</details>")
print()

# The catalog checks.
for mode in ("cached", "uncached"):
    path = os.path.join(tmp, "check-%s.json" % mode)
    if not os.path.exists(path): continue
    r = json.load(open(path))
    title = "cache on" if mode == "cached" else "cache off"
    print("**Catalog check, %s** (every URL of the mix once, one keep-alive connection, before the load): "
          "%d requests in %.1f s; %s." % (title, r["requests"], r["elapsed_s"],
          "every answer as the API contract says" if r["ok"] else "**%d kinds of problem**" % len(r["problems"])))
    print()
    for p in r["problems"]:
        print("- PROBLEM ×%d: %s (e.g. %s)" % (p["count"], p["message"], ", ".join(map(str, p["examples"])) or "—"))
    if r["problems"]: print()
    lat = r.get("latency", {})
    print("- Unloaded latency (one request at a time, Python client included): " + "; ".join(
        "%s p50 %.2f ms, p99 %.2f ms (n=%d)" % (k, v["p50_ms"], v["p99_ms"], v["n"]) for k, v in lat.items()) + ".")
    if mode == "cached":
        cats = r.get("categories", {})
        print("- Products per category: " + ", ".join("%s %d" % kv for kv in sorted(cats.items())) +
              "; pagination.total %s." % r.get("total"))
        print("- Searches: " + "; ".join("q=%s: %d results, %d of them in category %s" % (q, v["results"], v["in_category"], q)
                                         for q, v in r.get("search", {}).items()) + ".")
        print("- Edge cases: " + "; ".join("`%s` → %s" % kv for kv in r.get("errors", {}).items()) + ".")
    print()

# CSV for the chart.
with open(csv_out, "w") as f:
    f.write("series,conns,rps,p50_ms,p99_ms\n")
    for srv in SERVERS:
        for c in levels:
            s = S.get((srv, c))
            if not s or s["died"]: continue
            f.write("%s,%d,%s,%s,%s\n" % (srv, c, "" if s["rps"] is None else "%.1f" % s["rps"],
                                           "" if ms_or_none(s["p50"]) is None else "%.3f" % s["p50"],
                                           "" if ms_or_none(s["p99"]) is None else "%.3f" % s["p99"]))

died = [m for m in ("cached", "uncached") if any(S[k]["died"] for k in S if k[0] == m)]
errs = ["%s at %s" % (m, "{:,}".format(c)) for m in ("cached", "uncached") for c in levels
        if (m, c) in S and (sum(S[(m, c)]["err"].values()) or S[(m, c)]["non2xx"])]
verdict = []
verdict.append("ShopDesk **died** (%s)." % ", ".join(died) if died else "ShopDesk survived every level, cache on and off.")
verdict.append("Errors under load: %s." % "; ".join(errs) if errs else "No socket error and no non-2xx answer from ShopDesk at any level.")
slow_levels = ["%s at %s (%.1f %%)" % (m, "{:,}".format(c), 100.0 * (S[(m, c)]["slow"] + S[(m, c)]["err"]["timeout"]) / S[(m, c)]["requests"])
               for m in ("cached", "uncached") for c in levels
               if (m, c) in S and S[(m, c)]["requests"] and (S[(m, c)]["slow"] + S[(m, c)]["err"]["timeout"]) > 0.01 * S[(m, c)]["requests"]]
noanswer = ["%s at %s" % (m, "{:,}".format(c)) for m in ("cached", "uncached") for c in levels
            if (m, c) in S and not S[(m, c)]["died"] and S[(m, c)]["fewest"] < c]
if slow_levels:
    verdict.append("More than 1 %% of the answers slower than %s: %s." % (SLOW, "; ".join(slow_levels)))
if noanswer:
    verdict.append("Fewer answers than connections (clients that got nothing): %s." % "; ".join(noanswer))
print("**Verdict:** " + " ".join(verdict))
PY
  echo
  echo "<details><summary>seed-demo's output</summary>"
  echo
  echo '```'
  tail -40 "$SD/seed.log"
  echo '```'
  echo
  echo "</details>"
  echo
  for mode in cached uncached; do
    echo "<details><summary>ShopDesk ($mode): wrk output at $max_level connections, /metrics after the load (no histogram buckets), log lines other than level=info</summary>"
    echo
    echo '```'
    cat "$TMP/wrk-$mode-$max_level-$RUNS.txt" 2>/dev/null || echo "(no run at $max_level connections)"
    echo '```'
    echo
    echo '```'
    grep -Ev '^#|_bucket\{' "$TMP/metrics-$mode.txt" 2>/dev/null | grep -E '^shopdesk_(http_connections|http_requests_rejected|db_|catalog|cache)' \
      || echo "(no /metrics after the load)"
    echo '```'
    echo
    echo '```'
    grep -Ev 'level=(info|debug)' "$SD/shopdesk-$mode.log" 2>/dev/null | tail -30 || true
    echo '```'
    echo
    echo "</details>"
    echo
  done
  echo "<details><summary>nginx: wrk output at $max_level connections</summary>"
  echo
  echo '```'
  cat "$TMP/wrk-nginx-$max_level-$RUNS.txt" 2>/dev/null || echo "(no run)"
  echo '```'
  echo
  echo "</details>"
} >"$OUT"

# ---- chart -------------------------------------------------------------------------
chart_bin() {
  local b
  for b in "${CHART_BIN:-}" "$REPO_DIR/build/bench/chart/shopdesk_benchchart"; do
    [[ -n $b && -x $b ]] && { echo "$b"; return 0; }
  done
  command -v cmake >/dev/null || return 1
  local dir=$REPO_DIR/build-benchchart gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  if [[ ! -f $dir/CMakeCache.txt ]]; then
    cmake -S "$BENCH_DIR/chart" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >"$TMP/chart-build.log" 2>&1 || return 1
  fi
  cmake --build "$dir" >>"$TMP/chart-build.log" 2>&1 || return 1
  echo "$dir/shopdesk_benchchart"
}
if bin=$(chart_bin); then
  if QT_QPA_PLATFORM=offscreen "$bin" --out "$PNG" \
      --title "Catalog mix: ShopDesk (catalog cache on / off) against nginx serving the same answers" \
      --subtitle "$PRODUCTS products; 40 % list, 30 % product by id, 15 % search, 15 % list pages 1–5; wrk -t$WRK_THREADS, ${DURATION} s per level; $(nproc) cores shared by wrk and the server; $(date '+%Y-%m-%d %H:%M')" \
      "$CSV" >"$TMP/chart.log" 2>&1; then
    printf '\n![latency and throughput against connections](%s)\n' "$(basename "$PNG")" >>"$OUT"
  else
    log "warning: the chart tool failed: $(tail -3 "$TMP/chart.log" | tr '\n' ' ')"; PNG=''
  fi
else
  log "warning: no chart: bench/chart could not be built (needs cmake, qt6-charts-dev, libqt6opengl6-dev): $(tail -3 "$TMP/chart-build.log" 2>/dev/null | tr '\n' ' ')"
  PNG=''
fi

echo
cat "$OUT"
echo
log "written: ${OUT#"$REPO_DIR"/}${PNG:+ and ${PNG#"$REPO_DIR"/}}"
(( CHECK_FAILED == 0 && SD_DIED == 0 ))
exit
}
