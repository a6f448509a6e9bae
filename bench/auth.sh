#!/usr/bin/env bash
# bench/auth.sh — the sign-in limits under a storm, with the catalog under load at the same
# time, and whether any auth answer tells an unknown email from a wrong password.
#
# Usage:  bench/auth.sh
#   1. Copies the ShopDesk binary to a temporary directory, seeds $PRODUCTS products into a
#      fresh data dir there, starts `shopdesk --headless --threads 2 --trusted-proxies
#      127.0.0.1 --access-log off` (bcrypt cost 12, the default: realistic sign-in work) and
#      registers a victim account and N/2 known accounts (bench/auth_storm.py register; each
#      registration from its own X-Forwarded-For address). bench/catalog_check.py then walks
#      the catalog once (checks the answers, primes the cache), and WARMUP seconds of the
#      load below follow.
#   2. Phase A, baseline: `wrk -t2 -c$CONNS -d${DURATION}s --timeout 10s -s bench/catalog.lua`
#      (bench/catalog.sh's mix of list, product, search and page calls).
#   3. Phase B: the same load; BURST_AT seconds into it, at once (every connection opened
#      first): $VICTIM_ATTEMPTS wrong-password sign-ins for the victim, each from its own
#      address, and $FLOOD wrong-password sign-ins for unknown emails from one address.
#      Then the victim's right password, from fresh addresses, until the lock lets it in
#      (the first tries are refused while the account is locked).
#   4. Phase C, enumeration, without load: N requests each, one at a time and each from a
#      fresh address (no limiter takes part), alternating an unknown email and a known one:
#      POST /api/auth/login (wrong password), POST /api/auth/forgot-password, and
#      POST /api/auth/register (new against existing, REGISTER_N each: EMAIL_EXISTS is the
#      seed API's contract, so that one differs on purpose). Status, body and headers (less
#      X-Request-Id and Date) compared byte for byte; times as medians, their difference,
#      and a Mann-Whitney U test.
#   5. With psql: login_events and the victim's row read from the embedded cluster, which
#      tell, per attempt, whether a limiter refused it (no row) or the account lock did
#      (reason "locked").
#   6. Prints a Markdown report and writes bench/results/auth-<date>_<time>.md.
#   Everything listens on 127.0.0.1 only; every load is bounded by wrk's -d; a trap stops
#   ShopDesk (and its PostgreSQL) and wrk and removes the temporary directory, also on
#   failure or Ctrl-C. About 4 minutes with the defaults (the lock lasts a minute).
#   Needs: wrk, curl, python3; psql (postgresql-client) for the per-attempt reasons.
#
# The limits as built (backend/http/authroutes.cpp, backend/auth/authservice.cpp):
#   sign-in per client address 20, then one per 3 s; per account (the normalised email,
#   whether or not it exists) 12, then one per 30 s; 5 wrong passwords in a row lock the
#   account for 60 s, doubling with each lock (at most an hour). A limiter or a lock
#   answers 429 RATE_LIMITED with Retry-After; a wrong password or unknown email 401
#   INVALID_CREDENTIALS.
#
# Environment (defaults in brackets):
#   SHOPDESK_BIN     binary to test [build/app/shopdesk]; copied first
#   PRODUCTS         products to seed, and the id range of the mix [10000]
#   CONNS            wrk connections of the catalog load [200]
#   DURATION         seconds of phase A and of phase B [20]
#   WARMUP           seconds of the load before phase A [3]
#   BURST_AT         seconds into phase B when the sign-in storm starts [DURATION / 4]
#   VICTIM_ATTEMPTS  parallel wrong-password sign-ins for the victim [20]
#   FLOOD            parallel wrong-password sign-ins from one address [200]
#   N                phase C requests per route (half unknown, half known) [40]
#   REGISTER_N       phase C registrations of each kind (new, existing) [10]
#   BCRYPT_COST      ShopDesk --bcrypt-cost [12]
#   TARGET_P99_MS    the catalog's p99 target during phase B [50]
#   LOCK_WAIT_MAX    seconds the right-password tries may wait for the lock to end [180]
#   SERVER_THREADS   ShopDesk --threads [2]
#   SERVER_ARGS      more ShopDesk flags []
#   WRK_THREADS      wrk threads [2]
#   CHECK_TIMEOUT    seconds the catalog walk may take [300]
#   KEEP_TMP=1       keep the temporary directory (logs, raw wrk output, JSON)
#
# Exit status: 0 when every check in the report's "Checks" list passed: the storm was
# throttled as configured (the one address: 20 answers 401, plus one per 3 s, the rest 429;
# the victim: at most 12 past the account limiter, and no more than 5 wrong-password checks
# before the lock), the lock refused the right password and later let it in, login and
# forgot-password answered unknown and known emails with the same status, body and
# headers and with times not told apart (Mann-Whitney p > 0.05), and phase B's p99 stayed
# under TARGET_P99_MS; 1 otherwise.
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHOPDESK_SRC=${SHOPDESK_BIN:-$REPO_DIR/build/app/shopdesk}
PRODUCTS=${PRODUCTS:-10000}
CONNS=${CONNS:-200}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
BURST_AT=${BURST_AT:-$(( DURATION / 4 ))}
VICTIM_ATTEMPTS=${VICTIM_ATTEMPTS:-20}
FLOOD=${FLOOD:-200}
N=${N:-40}
REGISTER_N=${REGISTER_N:-10}
BCRYPT_COST=${BCRYPT_COST:-12}
TARGET_P99_MS=${TARGET_P99_MS:-50}
LOCK_WAIT_MAX=${LOCK_WAIT_MAX:-180}
SERVER_THREADS=${SERVER_THREADS:-2}
SERVER_ARGS=${SERVER_ARGS:-}
WRK_THREADS=${WRK_THREADS:-2}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-300}
LUA=$BENCH_DIR/catalog.lua
CHECK=$BENCH_DIR/catalog_check.py
STORM=$BENCH_DIR/auth_storm.py
PASSWORD="bench-auth-$RANDOM$RANDOM-pass"

for tool in wrk curl "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk curl python3)"
done
[[ -x $SHOPDESK_SRC ]] || die "no ShopDesk binary at $SHOPDESK_SRC (build it, or set SHOPDESK_BIN)"
for f in "$LUA" "$CHECK" "$STORM" "$BENCH_DIR/checkout_load.py"; do [[ -f $f ]] || die "$f missing"; done
PSQL=$(command -v psql || true)
[[ -n $PSQL ]] || log "warning: no psql (apt-get install postgresql-client): refusals are told apart by Retry-After only"

raise_nofile $(( CONNS + VICTIM_ATTEMPTS + FLOOD + 1024 ))
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_BEFORE: other work on this machine will skew the numbers"

TMP=$(make_tmp auth)
SD_PID='' WRK_PID=''
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $WRK_PID ]] && kill -TERM "$WRK_PID" 2>/dev/null && wait "$WRK_PID" 2>/dev/null
  stop_sd
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SD=$TMP/sd
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
stop_sd() {
  local pm
  stop_shopdesk "$SD"
  pm=$(postmaster_pid)
  if [[ -n $pm ]] && kill -0 "$pm" 2>/dev/null; then
    log "embedded PostgreSQL $pm still running: stopping it"
    kill -INT "$pm" 2>/dev/null || true   # fast shutdown
    for _ in $(seq 1 40); do kill -0 "$pm" 2>/dev/null || break; sleep 0.25; done
  fi
  return 0
}
# CPU ticks of PostgreSQL: the postmaster's own and its reaped children's, plus every live
# child's (as bench/catalog.sh).
pg_ticks() {
  local pm=$1 stat s p
  [[ -n $pm ]] || { echo 0; return; }
  stat=$(cat "/proc/$pm/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  s=$(( ${12} + ${13} + ${14} + ${15} ))
  for p in $(pgrep -P "$pm" || true); do s=$(( s + $(proc_ticks "$p") )); done
  echo "$s"
}
# psql on the embedded cluster: socket directory and port are lines 5 and 4 of
# postmaster.pid; superuser and database are both "shopdesk" (trust on the socket).
sql() {
  local d
  d=$(pg_dir)
  "$PSQL" -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 -h "$(sed -n 5p "$d/postmaster.pid")" \
    -p "$(sed -n 4p "$d/postmaster.pid")" -U shopdesk -d shopdesk -c "$1"
}

wrk_mix() { # SECONDS OUTFILE
  CATALOG_SLOW_MS=2000 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$1s" --timeout 10s -s "$LUA" \
    "http://127.0.0.1:$PORT" -- "$PRODUCTS" >"$2" 2>&1
}
HZ=$(getconf CLK_TCK)
cpu_pct() { # TICKS0 TICKS1 T0 T1
  awk -v c="$(( $2 - $1 ))" -v hz="$HZ" -v t0="$3" -v t1="$4" 'BEGIN { printf "%.0f", 100 * c / hz / (t1 - t0) }'
}

# ---- 1. seed, server, accounts, priming ----------------------------------------------
log "seed-demo: $PRODUCTS products into a fresh data dir"
if ! (cd "$SD" && ./shopdesk seed-demo --products "$PRODUCTS" --data-dir "$SD/data") >"$SD/seed.log" 2>&1; then
  tail -30 "$SD/seed.log" >&2
  die "shopdesk seed-demo failed"
fi
stop_sd
PORT=$(free_port 18481)
# shellcheck disable=SC2086  # SERVER_ARGS is a list of flags
start_shopdesk "$SD" "$PORT" --threads "$SERVER_THREADS" --bcrypt-cost "$BCRYPT_COST" --trusted-proxies 127.0.0.1 $SERVER_ARGS
PM_PID=$(postmaster_pid)
"$PYTHON" "$STORM" register --port "$PORT" --count $(( N / 2 > REGISTER_N ? N / 2 : REGISTER_N )) \
  --password "$PASSWORD" --out "$TMP/accounts.json" || die "registering the accounts failed"
log "catalog walk: every product once (checks the answers, primes the cache)"
timeout "$CHECK_TIMEOUT" "$PYTHON" "$CHECK" --port "$PORT" --products "$PRODUCTS" --repeat 2 --json "$TMP/check.json" \
  >"$TMP/check.txt" 2>&1 || die "catalog walk failed or took longer than CHECK_TIMEOUT=${CHECK_TIMEOUT}s: $(tail -3 "$TMP/check.txt")"
log "warm-up: ${WARMUP} s at $CONNS connections"
wrk_mix "$WARMUP" "$TMP/wrk-warmup.txt" || true
sleep 2

# ---- 2. phase A ------------------------------------------------------------------------
phase() { # NAME — wrk in the background, CPU of ShopDesk and PostgreSQL around it
  local name=$1 c0 p0 t0
  c0=$(proc_ticks "$SD_PID"); p0=$(pg_ticks "$PM_PID"); t0=$(now_s)
  wrk_mix "$DURATION" "$TMP/wrk-$name.txt" &
  WRK_PID=$!
  PHASE_START=$t0 PHASE_C0=$c0 PHASE_P0=$p0
}
phase_end() { # NAME
  local name=$1 rc=0 t1
  wait "$WRK_PID" || rc=$?
  WRK_PID=
  t1=$(now_s)
  [[ $rc == 0 ]] || log "wrk exited $rc: $(tail -3 "$TMP/wrk-$name.txt" | tr '\n' ' ')"
  printf '%s\t%s\t%s\n' "$name" "$(cpu_pct "$PHASE_C0" "$(proc_ticks "$SD_PID")" "$PHASE_START" "$t1")" \
    "$(cpu_pct "$PHASE_P0" "$(pg_ticks "$PM_PID")" "$PHASE_START" "$t1")" >>"$TMP/cpu.tsv"
  kill -0 "$SD_PID" 2>/dev/null || { tail -30 "$SD/shopdesk.log" >&2; die "ShopDesk died during phase $name"; }
  log "phase $name: $(awk '/^Requests\/sec/ { print $2 " req/s" }' "$TMP/wrk-$name.txt") $(grep -o 'p50_us=[0-9]* p90_us=[0-9]* p99_us=[0-9]*' "$TMP/wrk-$name.txt" || true)"
}
: >"$TMP/cpu.tsv"
log "phase A: catalog load alone, $CONNS connections, ${DURATION} s"
phase A
phase_end A
sleep 2

# ---- 3. phase B --------------------------------------------------------------------------
log "phase B: the same load; at +${BURST_AT} s $VICTIM_ATTEMPTS wrong passwords for the victim from as many addresses and $FLOOD from one address"
phase B
sleep "$BURST_AT"
B_START=$PHASE_START
"$PYTHON" "$STORM" burst --port "$PORT" --accounts "$TMP/accounts.json" --victim-attempts "$VICTIM_ATTEMPTS" \
  --flood "$FLOOD" --out "$TMP/burst.json" || die "the sign-in storm failed"
if [[ -n $PSQL ]]; then
  sql "SELECT failed_logins, lockouts, CASE WHEN locked_until > now() THEN round(extract(epoch FROM locked_until - now()))::text ELSE 'not locked' END
       FROM users WHERE email = '$(sed -n 's/.*"victim": {"email": "\([^"]*\)".*/\1/p' "$TMP/accounts.json")'" \
    >"$TMP/victim-after-burst.tsv" 2>>"$TMP/sql.err" || true
fi
phase_end B
log "the victim's right password until the lock lets it in (at most ${LOCK_WAIT_MAX} s)"
"$PYTHON" "$STORM" lockcheck --port "$PORT" --accounts "$TMP/accounts.json" --max-wait "$LOCK_WAIT_MAX" \
  --out "$TMP/lock.json" || die "the lock check failed"

# ---- 4. phase C ----------------------------------------------------------------------------
log "phase C: unknown against known email, $N requests per route, one at a time"
"$PYTHON" "$STORM" enum --port "$PORT" --accounts "$TMP/accounts.json" --n "$N" --register-n "$REGISTER_N" \
  --out "$TMP/enum.json" || die "the enumeration phase failed"

# ---- 5. what the database saw ------------------------------------------------------------
: >"$TMP/events.tsv"
if [[ -n $PSQL ]]; then
  victim=$(sed -n 's/.*"victim": {"email": "\([^"]*\)".*/\1/p' "$TMP/accounts.json")
  sql "SELECT ip, success, reason, to_char(created_at, 'HH24:MI:SS.MS') FROM login_events
       WHERE email = '$victim' OR ip = '10.9.9.9' ORDER BY id" >"$TMP/events.tsv" 2>>"$TMP/sql.err" \
    || log "warning: reading login_events failed: $(tr '\n' ' ' <"$TMP/sql.err")"
  sql "SELECT failed_logins, lockouts, coalesce(locked_until::text, '') FROM users WHERE email = '$victim'" \
    >"$TMP/victim-end.tsv" 2>>"$TMP/sql.err" || true
fi
curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt" 2>/dev/null || true
PG_VERSION=$(cat "$(pg_dir)/PG_VERSION" 2>/dev/null || echo '?')
stop_sd

# ---- 6. report -----------------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
STAMP=$(date +%Y-%m-%d_%H%M)
OUT=$BENCH_DIR/results/auth-$STAMP.md
{
  echo "# Sign-in storm under catalog load, and unknown email against wrong password ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine and versions:"
  echo
  machine_info
  echo "- versions: $(wrk -v 2>&1 | head -1 | awk '{ print "wrk " $2 }'), PostgreSQL $PG_VERSION (embedded cluster), Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null || echo '?'), $("$PYTHON" --version 2>&1)"
  echo "- data: \`shopdesk seed-demo --products $PRODUCTS\` into a fresh data dir; bench/catalog_check.py walked the catalog once (cache primed), then a ${WARMUP} s warm-up of the load"
  echo "- ShopDesk: \`--headless --threads $SERVER_THREADS --bcrypt-cost $BCRYPT_COST --trusted-proxies 127.0.0.1 --access-log off${SERVER_ARGS:+ $SERVER_ARGS}\` (workers, pool, limits: defaults)"
  echo "- catalog load: \`wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --timeout 10s -s bench/catalog.lua\` (40 % list, 30 % product by id in 1..$PRODUCTS, 15 % search, 15 % pages 1–5)"
  echo "- load generators and server share the same $(nproc) cores; load average right after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$PYTHON" - "$TMP" "$TARGET_P99_MS" "$BURST_AT" "$B_START" "$DURATION" "$CONNS" <<'PY'
import json, os, re, statistics, sys
tmp, target, burst_at, b_start, dur, conns = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
J = lambda n: json.load(open(os.path.join(tmp, n)))
acc, burst, lock, enum = J("accounts.json"), J("burst.json"), J("lock.json"), J("enum.json")
burst_t = burst["started_at"] - b_start   # seconds into phase B when the storm was sent
checks = []   # (text, passed)

def wrk(name):
    text = open(os.path.join(tmp, "wrk-%s.txt" % name)).read()
    r = {"rps": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m: r["rps"] = float(m.group(1))
    m = re.search(r"^CATALOG (.*)$", text, re.M)
    if m:
        kv = dict(f.split("=", 1) for f in m.group(1).split())
        r.update({k: int(kv[k]) for k in ("requests", "non2xx", "connect", "read", "write", "timeout")})
        r.update(statuses=kv["statuses"], p50=int(kv["p50_us"]) / 1000, p90=int(kv["p90_us"]) / 1000,
                 p99=int(kv["p99_us"]) / 1000, max=int(kv["max_us"]) / 1000)
    return r
cpu = {l.split("\t")[0]: l.rstrip("\n").split("\t")[1:] for l in open(os.path.join(tmp, "cpu.tsv")) if l.strip()}
A, B = wrk("A"), wrk("B")
def ms(v):
    if v is None: return "n/a"
    if v < 0: return "> 10 s"
    return "%.2f ms" % v if v < 10 else "%.1f ms" % v if v < 100 else "%.0f ms" % v
def ratio(a, b): return "n/a" if a is None or not b or a < 0 or b < 0 else "%.2f×" % (a / b)
def errs(r):
    s = sum(r.get(k, 0) for k in ("connect", "read", "write", "timeout"))
    return ("%d" % s if not s else "**%d**" % s) + (" / non-2xx **%d**" % r["non2xx"] if r.get("non2xx") else " / non-2xx 0")

print("## Catalog load: phase A alone, phase B with the sign-in storm")
print()
print("| phase | req/s | p50 | p90 | p99 | max | socket errors / non-2xx | ShopDesk CPU | PostgreSQL CPU |")
print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
for name, r in (("A: catalog only", A), ("B: catalog + storm", B)):
    c = cpu.get(name[0], ["?", "?"])
    print("| %s | %s | %s | %s | %s | %s | %s | %s%% | %s%% |" % (name, "{:,.0f}".format(r["rps"]) if r["rps"] else "n/a",
          ms(r.get("p50")), ms(r.get("p90")), ms(r.get("p99")), ms(r.get("max")), errs(r), c[0], c[1]))
print("| B ÷ A | %s | %s | %s | %s | | | | |" % (ratio(B["rps"], A["rps"]), ratio(B.get("p50"), A.get("p50")),
      ratio(B.get("p90"), A.get("p90")), ratio(B.get("p99"), A.get("p99"))))
print()
bd = burst["duration_s"]
cover = max(0.0, min(burst_t + bd, dur) - burst_t)
print("Latency as wrk measures it, from writing a request to its answer, over every answer of the %g s phase "
      "(bench/catalog.lua's percentiles). The storm was sent %.1f s into phase B and its last answer came %.2f s "
      "later: it overlapped %.0f %% of phase B's window%s. CPU: 100 %% = one core, over the phase."
      % (dur, burst_t, bd, 100 * cover / dur,
         "" if burst_t + bd <= dur else " (it outlasted the load by %.1f s)" % (burst_t + bd - dur)))
print()
p99ok = B.get("p99") is not None and 0 <= B["p99"] < target
checks.append(("catalog p99 during the storm (phase B) under %g ms: %s" % (target, ms(B.get("p99"))), p99ok))

# ---- the storm
events = [l.rstrip("\n").split("\t") for l in open(os.path.join(tmp, "events.tsv")) if l.strip()]
by_ip = {}
for ip, success, reason, at in events:
    by_ip.setdefault(ip, []).append(reason or ("success" if success == "t" else ""))
have_sql = bool(events)
print("## The storm")
print()
def table(kind):
    rs = [r for r in burst["results"] if r["kind"] == kind]
    rows = {}
    for r in rs:
        key = (r["status"], r.get("code") or r.get("error") or "")
        rows.setdefault(key, []).append(r)
    return rs, rows
def ra_range(rs):
    vals = sorted(int(r["retry_after"]) for r in rs if r.get("retry_after"))
    if not vals: return "—"
    return "%d s" % vals[0] if vals[0] == vals[-1] else "%d–%d s" % (vals[0], vals[-1])

v_rs, v_rows = table("victim")
f_rs, f_rows = table("flood")
print("| attempts | answer | count | Retry-After | latency p50 / max | what refused it |")
print("|---|---|---:|---|---|---|")
def why(rs):
    if not have_sql:
        return "(no psql)"
    c = {}
    for r in rs:
        if r["status"] == 401:
            continue
        reasons = by_ip.get(r["address"], []) if r["kind"] == "victim" else None
        if r["kind"] == "victim":
            k = "the account lock (login_events: locked)" if reasons and "locked" in reasons else "a limiter (never reached the password check)"
        else:
            k = "the address limiter"
        c[k] = c.get(k, 0) + 1
    return "; ".join("%s ×%d" % kv for kv in c.items()) or "—"
for label, rows in (("%d × the victim, wrong password, %d addresses" % (len(v_rs), len({r['address'] for r in v_rs})), v_rows),
                    ("%d × unknown emails, wrong password, one address" % len(f_rs), f_rows)):
    first = True
    for (st, code), rs in sorted(rows.items(), key=lambda kv: str(kv[0])):
        lat = sorted(r["ms"] for r in rs)
        print("| %s | %s %s | %d | %s | %s / %s | %s |" % (label if first else "", st, code, len(rs), ra_range(rs),
              ms(statistics.median(lat)), ms(lat[-1]), "—" if st == 401 else why(rs)))
        first = False
print()
# How the victim's attempts that reached the password check ended, from login_events.
victim_reasons = {}
for r in v_rs:
    for reason in by_ip.get(r["address"], []):
        victim_reasons[reason] = victim_reasons.get(reason, 0) + 1
flood_reasons = {}
for reason in by_ip.get("10.9.9.9", []):
    flood_reasons[reason] = flood_reasons.get(reason, 0) + 1
if have_sql:
    print("login_events (what reached the password check): victim %s; the one address %s." % (
        ", ".join("%s ×%d" % kv for kv in sorted(victim_reasons.items())) or "none",
        ", ".join("%s ×%d" % kv for kv in sorted(flood_reasons.items())) or "none"))
    print()
    p = os.path.join(tmp, "victim-after-burst.tsv")
    after = open(p).read().split("\t") if os.path.exists(p) else []
    if len(after) == 3:
        print("The victim's row right after the storm: failed_logins %s, lockouts %s, locked for %s s more "
              "(lockouts counts the locks set; the next lock lasts 60 s × 2^lockouts)." % tuple(x.strip() for x in after))
    print()

v401 = sum(1 for r in v_rs if r["status"] == 401)
v429 = sum(1 for r in v_rs if r["status"] == 429 and r.get("code") == "RATE_LIMITED")
f401 = sum(1 for r in f_rs if r["status"] == 401 and r.get("code") == "INVALID_CREDENTIALS")
f429 = sum(1 for r in f_rs if r["status"] == 429 and r.get("code") == "RATE_LIMITED")
f_ra = [int(r["retry_after"]) for r in f_rs if r["status"] == 429 and r.get("retry_after")]
f_max = 20 + int(bd // 3)
v_max = 12 + int(bd // 30)
checks.append(("one address: %d of %d answered 401 INVALID_CREDENTIALS (configured: 20, plus one per 3 s of the storm's "
               "%.1f s = at most %d), the other %d 429 RATE_LIMITED with Retry-After ≤ 3 s" % (f401, len(f_rs), bd, f_max, f429),
               20 <= f401 <= f_max and f401 + f429 == len(f_rs) and all(x <= 3 for x in f_ra)))
checks.append(("victim: %d of %d answered 401 INVALID_CREDENTIALS (configured: at most %d pass the account limiter, 12 "
               "plus one per 30 s), the other %d 429 RATE_LIMITED" % (v401, len(v_rs), v_max, v429),
               v401 <= v_max and v401 + v429 == len(v_rs)))
wrong_before_lock = victim_reasons.get("wrong password", 0) + victim_reasons.get("wrong password; locked", 0)
if have_sql:
    checks.append(("victim: the lock after 5 wrong passwords in a row: %d wrong-password checks ran before the lock "
                   "held (login_events 'wrong password' %d, 'wrong password; locked' %d, 'locked' %d)" % (
                       wrong_before_lock, victim_reasons.get("wrong password", 0),
                       victim_reasons.get("wrong password; locked", 0), victim_reasons.get("locked", 0)),
                   wrong_before_lock <= 5 and victim_reasons.get("wrong password; locked", 0) >= 1))

# ---- the lock
print("The victim's **right** password afterwards, each try from a fresh address:")
print()
print("| try | seconds after the first | answer | Retry-After | refused by |")
print("|---:|---:|---|---|---|")
locked_refusal = False
for i, t in enumerate(lock["tries"], 1):
    reasons = by_ip.get(t["address"], [])
    if t["status"] == 200:
        by = "— (signed in)"
    elif not have_sql:
        by = "(no psql)"
    elif "locked" in reasons:
        by = "the account lock"; locked_refusal = True
    else:
        by = "the account limiter (never reached the password check)"
    print("| %d | %.1f | %s | %s | %s |" % (i, t["at_s"], ("%s %s" % (t["status"], t.get("code") or "")).strip(),
                                           t.get("retry_after") or "—", by))
print()
let_in = lock["tries"] and lock["tries"][-1]["status"] == 200
if have_sql:
    checks.append(("the right password refused while the account is locked (429 RATE_LIMITED, login_events 'locked')", locked_refusal))
else:
    checks.append(("the right password refused at first (429 RATE_LIMITED)", lock["tries"][0]["status"] == 429))
checks.append(("the right password accepted once the lock ended (%s)" % ("after %.0f s" % lock["tries"][-1]["at_s"] if let_in else "never, within the wait"), bool(let_in)))

# ---- enumeration
print("## Unknown email against known email")
print()
print("Each request from a fresh address, one at a time on one keep-alive connection, the two kinds alternating; "
      "%d per route (half each kind); registration %d of each. Bodies and headers compared byte for byte "
      "(less X-Request-Id and Date); times as the client saw them." % (enum["n"], enum["register_n"]))
print()
print("| route | kind | n | statuses | distinct bodies | median | IQR | difference of medians | ÷ median | Mann-Whitney p |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
S = enum["summary"]
names = {"login": "`POST /api/auth/login` (wrong password)", "forgot-password": "`POST /api/auth/forgot-password`",
         "register": "`POST /api/auth/register`"}
for route in ("login", "forgot-password", "register"):
    s = S[route]
    for i, kind in enumerate((s["a"], s["b"])):
        k = s[kind]
        st = ", ".join("%s ×%d" % kv for kv in sorted(k["statuses"].items()))
        label = {"unknown": "unknown email", "known": "known email", "new": "new email", "existing": "existing email"}[kind]
        if i == 0:
            print("| %s | %s | %d | %s | %d | %s | %s | %s | %s | %s |" % (names[route], label, k["n"], st, len(k["bodies"]),
                  ms(k["median_ms"]), ms(k["q3_ms"] - k["q1_ms"]), "%+.2f ms" % s["diff_ms"],
                  "%+.1f %%" % (100 * s["diff_ms"] / s["median_all_ms"]), "%.3f" % s["p_value"] if s["p_value"] is not None else "n/a"))
        else:
            print("| | %s | %d | %s | %d | %s | %s | | | |" % (label, k["n"], st, len(k["bodies"]), ms(k["median_ms"]), ms(k["q3_ms"] - k["q1_ms"])))
print()
print("Difference of medians: second kind minus first (known − unknown; existing − new). p: two-sided Mann-Whitney U "
      "(normal approximation); above 0.05 the two sets of times are not told apart at this sample size.")
print()
for route in ("login", "forgot-password"):
    s = S[route]
    same = s["same_status"] and s["same_body"] and s["same_headers"]
    body = next(iter(s[s["a"]]["bodies"]))
    print("- %s: %s. Body: `%s`." % (names[route], "status, body and headers identical for every request of both kinds" if same else
          "**the answers differ** (same status: %s, same body: %s, same headers: %s)" % (s["same_status"], s["same_body"], s["same_headers"]), body[:200]))
    if not same:
        for kind in (s["a"], s["b"]):
            for b, n in s[kind]["bodies"].items():
                print("  - %s, %d×: `%s`" % (kind, n, b[:200]))
            for h, n in s[kind]["headers"].items():
                print("  - %s headers, %d×: `%s`" % (kind, n, h[:400]))
    checks.append(("%s: unknown and known email answered alike (status, body, headers)" % names[route], same))
    noise = max(s[s["a"]]["q3_ms"] - s[s["a"]]["q1_ms"], s[s["b"]]["q3_ms"] - s[s["b"]]["q1_ms"])
    alike = s["p_value"] is None or s["p_value"] > 0.05
    print("  Timing: medians %s (unknown) and %s (known), difference %+.2f ms (%+.1f %% of the median), IQR up to %s, p = %s: %s." % (
        ms(s[s["a"]]["median_ms"]), ms(s[s["b"]]["median_ms"]), s["diff_ms"], 100 * s["diff_ms"] / s["median_all_ms"], ms(noise),
        "%.3f" % s["p_value"] if s["p_value"] is not None else "n/a",
        "within noise" if alike else "**told apart** (p ≤ 0.05)"))
    checks.append(("%s: timing of unknown and known email within noise (Mann-Whitney p = %s, wanted > 0.05; medians differ by %+.2f ms)" % (
        names[route], "%.3f" % s["p_value"] if s["p_value"] is not None else "n/a", s["diff_ms"]), alike))
s = S["register"]
print("- %s: new emails answered %s, existing ones %s: the seed API's `EMAIL_EXISTS` contract, kept on purpose "
      "(backend/auth/authservice.cpp; registration is limited per address, 20 then one per 3 s, which bounds how fast "
      "anyone can ask). Medians %s (new) and %s (existing), p = %s." % (names["register"],
      ", ".join(sorted(s["new"]["statuses"])), ", ".join(sorted(s["existing"]["statuses"])) + " " + ", ".join(
          sorted({json.loads(b)["error"]["code"] for b in s["existing"]["bodies"] if b.startswith("{") and '"error"' in b})),
      ms(s["new"]["median_ms"]), ms(s["existing"]["median_ms"]), "%.3f" % s["p_value"] if s["p_value"] is not None else "n/a"))
print()

print("## Checks")
print()
for text, ok in checks:
    print("- %s %s" % ("PASS" if ok else "**FAIL**", text))
print()
failed = [t for t, ok in checks if not ok]
print("**Verdict:** %s" % ("every check passed." if not failed else "%d of %d checks failed." % (len(failed), len(checks))))
open(os.path.join(tmp, "ok"), "w").write("0" if failed else "1")
PY
  echo
  echo "<details><summary>login_events of the victim and of the one address (10.9.9.9), the victim's row at the end</summary>"
  echo
  echo '```'
  if [[ -s $TMP/events.tsv ]]; then
    echo "ip  success  reason  time"
    awk -F'\t' '$1 != "10.9.9.9"' "$TMP/events.tsv"
    echo "10.9.9.9: $(awk -F'\t' '$1 == "10.9.9.9"' "$TMP/events.tsv" | wc -l) rows, reasons: $(awk -F'\t' '$1 == "10.9.9.9" { print $3 }' "$TMP/events.tsv" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    echo "victim at the end (failed_logins, lockouts, locked_until): $(tr '\t' ' ' <"$TMP/victim-end.tsv" 2>/dev/null)"
  else
    echo "(no psql, or it failed: $(tr '\n' ' ' <"$TMP/sql.err" 2>/dev/null))"
  fi
  echo '```'
  echo
  echo "</details>"
  echo
  echo "<details><summary>wrk output of phase B, ShopDesk's pool and worker metrics at the end, log lines other than level=info</summary>"
  echo
  echo '```'
  cat "$TMP/wrk-B.txt"
  echo '```'
  echo
  echo '```'
  grep -Ev '^#|_bucket\{' "$TMP/metrics.txt" 2>/dev/null | grep -E '^shopdesk_(db_|worker|http_connections|http_requests_rejected)' \
    || echo "(no /metrics)"
  echo '```'
  echo
  echo '```'
  grep -Ev 'level=(info|debug)' "$SD/shopdesk.log" 2>/dev/null | tail -30 || true
  echo '```'
  echo
  echo "</details>"
} >"$OUT"

echo
cat "$OUT"
echo
log "written: ${OUT#"$REPO_DIR"/}"
[[ $(cat "$TMP/ok" 2>/dev/null) == 1 ]]
exit
}
