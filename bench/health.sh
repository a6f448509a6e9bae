#!/usr/bin/env bash
# bench/health.sh — HTTP throughput of GET /api/health, ShopDesk against an nginx ceiling.
#
# Usage:  bench/health.sh
#   Starts a headless ShopDesk (own temporary data dir and embedded PostgreSQL),
#   runs wrk against GET /api/health at each connection level, then does the same
#   against nginx serving the same JSON body as a static file (the HTTP ceiling of
#   this machine), prints a Markdown table and writes it to
#   bench/results/health-<date>.md. Everything listens on 127.0.0.1 only; every
#   run is bounded by wrk's -d; all started processes are stopped on exit.
#   Takes about 6 minutes with the defaults. Needs: wrk, nginx (nginx-light), curl, python3.
#
# Environment (defaults in brackets):
#   SHOPDESK_BIN   binary to test [build/app/shopdesk]; copied to the temp dir first,
#                  so a rebuild during the run does not disturb it
#   LEVELS         connection counts ["50 200 1000 10000"]
#   RUNS           runs per level, medians reported [3]
#   DURATION       seconds per run [10]
#   WRK_THREADS    wrk threads [2]
#   WRK_TIMEOUT    wrk per-request timeout, counted as a socket error [2s]
#   SERVER_THREADS ShopDesk --threads, and nginx worker_processes [2]
#   SETTLE         seconds after each run before "RSS after run" is read [3]
#   KEEP_TMP=1     keep the temporary directory (logs, raw wrk output)
#
# Exit status: 0 when ShopDesk had no socket errors at any level, 1 otherwise
# (the acceptance criterion is the 10,000-connection burst without socket errors).
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHOPDESK_SRC=${SHOPDESK_BIN:-$REPO_DIR/build/app/shopdesk}
LEVELS=${LEVELS:-"50 200 1000 10000"}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WRK_THREADS=${WRK_THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-2s}
SERVER_THREADS=${SERVER_THREADS:-2}
SETTLE=${SETTLE:-3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for tool in wrk curl "$NGINX" "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk nginx-light curl python3)"
done
[[ -x $SHOPDESK_SRC ]] || die "no ShopDesk binary at $SHOPDESK_SRC (build it, or set SHOPDESK_BIN)"

max_level=0
for l in $LEVELS; do (( l > max_level )) && max_level=$l; done
# wrk needs one fd per connection, and so do the servers (ShopDesk raises its
# soft limit to the hard one itself; nginx gets worker_rlimit_nofile).
raise_nofile $(( max_level + 1024 ))
NOFILE=$(ulimit -Sn)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_BEFORE: other work on this machine will skew the numbers"

TMP=$(make_tmp health)
SD_PID='' NGX_PID='' WRK_PID='' SAMPLER_PID=''
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $WRK_PID ]] && kill -TERM "$WRK_PID" 2>/dev/null
  [[ -n $SAMPLER_PID ]] && kill -TERM "$SAMPLER_PID" 2>/dev/null
  stop_shopdesk "$TMP/sd"
  if [[ -n $NGX_PID ]] && kill -0 "$NGX_PID" 2>/dev/null; then
    kill -TERM "$NGX_PID" 2>/dev/null   # nginx fast shutdown, workers included
    for _ in $(seq 1 20); do kill -0 "$NGX_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$NGX_PID" 2>/dev/null
    wait "$NGX_PID" 2>/dev/null
  fi
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RESULTS=$TMP/runs.tsv
printf 'server\tconns\trun\twrk_file\tcpu_pct\trss_kb\thwm_kb\tconn_open_after\trefused\trejected\trss_after_kb\n' >"$RESULTS"

# Pids whose CPU and memory count as "the server": ShopDesk alone (its PostgreSQL
# is not touched by /api/health), or nginx master plus workers.
server_pids() {
  if [[ $1 == shopdesk ]]; then echo "$SD_PID"
  else echo "$NGX_PID" "$(pgrep -P "$NGX_PID" | tr "\n" " ")"; fi
}
sum_ticks() { local s=0 p; for p in "$@"; do s=$(( s + $(proc_ticks "$p") )); done; echo "$s"; }
sum_kb() { local s=0 p k=$1; shift; for p in "$@"; do s=$(( s + $(proc_kb "$p" "$k") )); done; echo "$s"; }

# run_wrk SERVER PORT CONNS RUN
run_wrk() {
  local server=$1 port=$2 conns=$3 run=$4
  local out=$TMP/wrk-$server-$conns-$run.txt pids t0 t1 c0 c1 rc=0
  read -ra pids <<<"$(server_pids "$server")"
  c0=$(sum_ticks "${pids[@]}"); t0=$(now_s)
  wrk -t"$WRK_THREADS" -c"$conns" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    "http://127.0.0.1:$port/api/health" >"$out" 2>&1 &
  WRK_PID=$!
  # Sample resident memory while wrk runs (the sum over the server's processes).
  (
    peak=0
    while kill -0 "$WRK_PID" 2>/dev/null; do
      r=$(sum_kb VmRSS "${pids[@]}"); (( r > peak )) && peak=$r
      echo "$peak" >"$out.rss"; sleep 0.25
    done
  ) &
  SAMPLER_PID=$!
  wait "$WRK_PID" || rc=$?
  t1=$(now_s); c1=$(sum_ticks "${pids[@]}")
  WRK_PID=
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=
  [[ $rc == 0 ]] || log "wrk exited $rc: $(tail -3 "$out" | tr '\n' ' ')"
  local cpu hwm rss open=- refused=- rejected=-
  cpu=$(awk -v c="$(( c1 - c0 ))" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "%.0f", 100 * c / hz / (t1 - t0) }')
  rss=$(cat "$out.rss" 2>/dev/null || echo 0)
  hwm=$(sum_kb VmHWM "${pids[@]}")
  if [[ $server == shopdesk ]]; then
    kill -0 "$SD_PID" 2>/dev/null || { tail -30 "$TMP/sd/shopdesk.log" >&2; die "shopdesk died during the $conns-connection run"; }
    # Let the server see every close before the next run starts.
    for _ in $(seq 1 40); do
      open=$(metric "$port" shopdesk_http_connections_open)
      [[ $open == "?" || $open -le 1 ]] && break; sleep 0.25
    done
    refused=$(metric "$port" shopdesk_http_connections_refused_total)
    rejected=$(metric "$port" shopdesk_http_requests_rejected_total)
  fi
  # Resident memory once the connections are gone and the server had time to settle.
  sleep "$SETTLE"
  local after
  after=$(sum_kb VmRSS "${pids[@]}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$conns" "$run" "$out" \
    "$cpu" "$rss" "$hwm" "$open" "$refused" "$rejected" "$after" >>"$RESULTS"
  log "$server c=$conns run $run: $(awk '/^Requests\/sec/ { print $2 " req/s" }' "$out")$(grep -h 'Socket errors' "$out" | sed 's/^ */, /') cpu ${cpu}% rss ${rss}kB"
}

bench_server() {
  local server=$1 port=$2 conns run
  log "warm-up: $server, 3 s at 200 connections"
  wrk -t"$WRK_THREADS" -c200 -d3s "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 || true
  for conns in $LEVELS; do
    for run in $(seq 1 "$RUNS"); do run_wrk "$server" "$port" "$conns" "$run"; done
  done
}

# ---- (a)+(b) ShopDesk ----------------------------------------------------------
mkdir -p "$TMP/sd"
cp "$SHOPDESK_SRC" "$TMP/sd/shopdesk"
SD_PORT=$(free_port 18181)
start_shopdesk "$TMP/sd" "$SD_PORT" --threads "$SERVER_THREADS"
SD_IDLE_RSS=$(proc_kb "$SD_PID" VmRSS)
bench_server shopdesk "$SD_PORT"
SD_LOG_PROBLEMS=$(grep -Ev 'level=(info|debug)' "$TMP/sd/shopdesk.log" | tail -20 || true)
SD_METRICS=$(curl -sS --max-time 5 "http://127.0.0.1:$SD_PORT/metrics" \
  | grep -E '^shopdesk_(http_connections|http_requests_rejected|http_requests_in_flight|resident)' || true)
stop_shopdesk "$TMP/sd"

# ---- (c) nginx ceiling ---------------------------------------------------------
NGX_PORT=$(free_port $(( SD_PORT + 1 )))
mkdir -p "$TMP/nginx/html/api" "$TMP/nginx/logs"
printf '%s' '{"data":{"status":"healthy"},"success":true}' >"$TMP/nginx/html/api/health"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $SERVER_THREADS;
worker_rlimit_nofile $NOFILE;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
user $(id -un);
events {
    worker_connections $(( max_level + 512 ));
}
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    server {
        listen 127.0.0.1:$NGX_PORT backlog=4096 reuseport;
        root $TMP/nginx/html;
        location = /api/health { add_header Cache-Control no-store; }
    }
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" &
NGX_PID=$!
for _ in $(seq 1 40); do
  curl -fsS --max-time 1 "http://127.0.0.1:$NGX_PORT/api/health" >/dev/null 2>&1 && break
  kill -0 "$NGX_PID" 2>/dev/null || { cat "$TMP/nginx/logs/error.log" >&2; die "nginx exited during start"; }
  sleep 0.25
done
[[ $(curl -fsS "http://127.0.0.1:$NGX_PORT/api/health") == '{"data":{"status":"healthy"},"success":true}' ]] \
  || die "nginx does not serve the health body"
log "nginx pid $NGX_PID ready on 127.0.0.1:$NGX_PORT"
bench_server nginx "$NGX_PORT"

# ---- (d) report ----------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
STAMP=$(date +%Y-%m-%d_%H%M)
OUT=$BENCH_DIR/results/health-$STAMP.md
{
  echo "# GET /api/health: ShopDesk against an nginx ceiling ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine:"
  echo
  machine_info
  echo "- wrk: \`wrk -t$WRK_THREADS -c<conns> -d${DURATION}s --timeout $WRK_TIMEOUT --latency\`, $RUNS runs per level, medians shown (socket errors: sum over the runs; RSS: largest)"
  echo "- ShopDesk: \`--headless --threads $SERVER_THREADS --access-log off\`, embedded PostgreSQL; nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'): worker_processes $SERVER_THREADS, \`listen ... backlog=4096 reuseport\` (like ShopDesk: a listening socket per I/O thread, backlog 4096), static file, keepalive_requests 1000000, access_log off"
  echo "- load generator and servers share the same $(nproc) cores; load average right after the run (wrk and the server count in it): $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$PYTHON" - "$RESULTS" "$SD_IDLE_RSS" <<'PY'
import csv, re, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
idle_rss = int(sys.argv[2])
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}

def parse(path):
    text = open(path).read()
    r = {"rps": 0.0, "p50": None, "p99": None, "connect": 0, "read": 0, "write": 0,
         "timeout": 0, "non2xx": 0, "requests": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m: r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m|h)\s*$" % pct, text, re.M)
        if m: r[key] = float(m.group(1)) * UNIT[m.group(2)]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m: r.update(connect=int(m.group(1)), read=int(m.group(2)), write=int(m.group(3)), timeout=int(m.group(4)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m: r["non2xx"] = int(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m: r["requests"] = int(m.group(1))
    r["ok"] = bool(re.search(r"Requests/sec:", text))
    return r

agg = {}
for row in rows:
    w = parse(row["wrk_file"])
    w.update(cpu=float(row["cpu_pct"]), rss=int(row["rss_kb"]), hwm=int(row["hwm_kb"]), after=int(row["rss_after_kb"]),
             run=int(row["run"]),
             open=row["conn_open_after"], refused=row["refused"], rejected=row["rejected"])
    agg.setdefault((row["server"], int(row["conns"])), []).append(w)

def summary(runs):
    med = lambda k: statistics.median([r[k] for r in runs if r[k] is not None]) if any(r[k] is not None for r in runs) else None
    return {"rps": med("rps"), "p50": med("p50"), "p99": med("p99"), "cpu": med("cpu"),
            "rss": max(r["rss"] for r in runs), "hwm": max(r["hwm"] for r in runs), "after": max(r["after"] for r in runs),
            "err": {k: sum(r[k] for r in runs) for k in ("connect", "read", "write", "timeout")},
            "non2xx": sum(r["non2xx"] for r in runs), "failed": sum(not r["ok"] for r in runs),
            "runs": len(runs), "last": runs[-1]}

levels = sorted({c for _, c in agg})
S = {k: summary(v) for k, v in agg.items()}

def fmt_ms(v): return "n/a" if v is None else ("%.2f ms" % v if v < 100 else "%.0f ms" % v)
def fmt_mb(kb): return "%.1f MiB" % (kb / 1024)
def errs(s):
    e = s["err"]; t = sum(e.values())
    txt = "0" if t == 0 else "**%d** (connect %d, read %d, write %d, timeout %d)" % (t, e["connect"], e["read"], e["write"], e["timeout"])
    if s["non2xx"]: txt += ", **%d non-2xx**" % s["non2xx"]
    if s["failed"]: txt += ", **%d wrk runs failed**" % s["failed"]
    return txt
def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else "%.2f×" % (a / b)

print("| conns | metric | ShopDesk | nginx | ShopDesk / nginx |")
print("|---:|---|---:|---:|---:|")
for c in levels:
    sd, ng = S.get(("shopdesk", c)), S.get(("nginx", c))
    if not sd or not ng: continue
    lines = [
        ("req/s", "{:,.0f}".format(sd["rps"]), "{:,.0f}".format(ng["rps"]), ratio(sd["rps"], ng["rps"])),
        ("p50 latency", fmt_ms(sd["p50"]), fmt_ms(ng["p50"]), ratio(sd["p50"], ng["p50"])),
        ("p99 latency", fmt_ms(sd["p99"]), fmt_ms(ng["p99"]), ratio(sd["p99"], ng["p99"])),
        ("socket errors", errs(sd), errs(ng), "—"),
        ("server CPU", "%.0f%%" % sd["cpu"], "%.0f%%" % ng["cpu"], ratio(sd["cpu"], ng["cpu"])),
        ("server RSS, peak during run", fmt_mb(sd["rss"]), fmt_mb(ng["rss"]), ratio(sd["rss"], ng["rss"])),
        ("server VmHWM after run", fmt_mb(sd["hwm"]), fmt_mb(ng["hwm"]), ratio(sd["hwm"], ng["hwm"])),
        ("server RSS after run, connections closed", fmt_mb(sd["after"]), fmt_mb(ng["after"]), ratio(sd["after"], ng["after"])),
    ]
    for i, (m, a, b, r) in enumerate(lines):
        print("| %s | %s | %s | %s | %s |" % (("**%d**" % c) if i == 0 else "", m, a, b, r))
print()
print("ShopDesk idle RSS before the first run: %s. CPU%% is utime+stime over wall time of the run "
      "(100%% = one core; the machine has the cores listed above, shared with wrk). nginx RSS/VmHWM "
      "are summed over master and workers." % fmt_mb(idle_rss))
print()
print("ShopDesk /metrics after each level (last run): ")
print()
print("| conns | connections_open after | connections_refused_total | requests_rejected_total |")
print("|---:|---:|---:|---:|")
for c in levels:
    sd = S.get(("shopdesk", c))
    if sd: print("| %d | %s | %s | %s |" % (c, sd["last"]["open"], sd["last"]["refused"], sd["last"]["rejected"]))
print()
print("<details><summary>every run</summary>")
print()
print("| server | conns | run | req/s | p50 | p99 | socket errors | CPU | RSS peak | RSS after |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (srv, c), runs in sorted(agg.items(), key=lambda kv: (kv[0][0] != "shopdesk", kv[0][1])):
    for r in runs:
        print("| %s | %d | %d | %s | %s | %s | %d | %.0f%% | %s | %s |" % (srv, c, r["run"], "{:,.0f}".format(r["rps"]),
              fmt_ms(r["p50"]), fmt_ms(r["p99"]), r["connect"] + r["read"] + r["write"] + r["timeout"], r["cpu"],
              fmt_mb(r["rss"]), fmt_mb(r["after"])))
print()
print("</details>")
bad = [c for c in levels if ("shopdesk", c) in S and (sum(S[("shopdesk", c)]["err"].values()) or S[("shopdesk", c)]["failed"] or S[("shopdesk", c)]["non2xx"])]
print()
print("**Verdict:** " + ("ShopDesk had no socket errors at any level, %s-connection burst included." % "{:,}".format(max(levels))
                        if not bad else "ShopDesk had errors at %s connections." % ", ".join(map(str, bad))))
PY
  echo
  echo "<details><summary>wrk output, ShopDesk and nginx, last run at $max_level connections</summary>"
  echo
  echo '```'
  cat "$TMP/wrk-shopdesk-$max_level-$RUNS.txt"
  echo
  cat "$TMP/wrk-nginx-$max_level-$RUNS.txt"
  echo '```'
  echo
  echo "ShopDesk /metrics at the end (connections, rejections, memory):"
  echo
  echo '```'
  echo "$SD_METRICS"
  echo '```'
  echo
  if [[ -n $SD_LOG_PROBLEMS ]]; then
    echo "ShopDesk log lines other than level=info:"; echo; echo '```'; echo "$SD_LOG_PROBLEMS"; echo '```'
  else echo "ShopDesk log lines other than level=info: none"; fi
  echo "</details>"
} >"$OUT"

echo
cat "$OUT"
echo
log "written: ${OUT#"$REPO_DIR"/}"
grep -q '^\*\*Verdict:\*\* ShopDesk had no socket errors' "$OUT"
exit
}
