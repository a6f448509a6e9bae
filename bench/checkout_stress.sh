#!/usr/bin/env bash
# bench/checkout_stress.sh — the 200-checkout concurrency test, RUNS times in a row.
#
# Usage:  bench/checkout_stress.sh
#   1. Builds the test binary (`cmake --build $BUILD_DIR --target tst_orders`; a no-op when
#      it is up to date; SKIP_BUILD=1 skips it) and copies it to a temporary directory, so
#      a rebuild during the runs does not disturb them.
#   2. Runs `tst_orders twoHundredConcurrentCheckoutsSellExactlyTheStock` RUNS times, one
#      after the other. Each run starts its own PostgreSQL cluster (under the temporary
#      directory: TMPDIR points there), makes one product with a stock of 50 and 200
#      shoppers with it in their carts, checks out all 200 at once on 32 threads, and
#      checks that exactly 50 orders were made and 150 refused with INSUFFICIENT_STOCK,
#      nothing else failed, the stock is 0, the ledger matches, the order items hold 50
#      units, no order is without items and no product is below zero stock.
#   3. Prints a Markdown report (pass/fail and the time of each run, the output of failed
#      runs) and writes bench/results/checkout-stress-<date>_<time>.md.
#   A run that takes longer than RUN_TIMEOUT is killed and counts as failed. A trap stops
#   any PostgreSQL a killed run left behind and removes the temporary directory, also on
#   failure or Ctrl-C. About 10 s per run on an idle 2-core machine.
#
# Environment (defaults in brackets):
#   BUILD_DIR     CMake build directory holding tests/tst_orders [build]
#   RUNS          runs in a row [20]
#   RUN_TIMEOUT   seconds one run may take [300]
#   SKIP_BUILD=1  use the binary as it is
#   KEEP_TMP=1    keep the temporary directory (the output of every run)
#
# Exit status: 0 when every run passed; 1 otherwise.
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$REPO_DIR/$BUILD_DIR
RUNS=${RUNS:-20}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
FUNCTION=twoHundredConcurrentCheckoutsSellExactlyTheStock
TEST_SRC=$BUILD_DIR/tests/tst_orders

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  [[ -f $BUILD_DIR/CMakeCache.txt ]] || die "$BUILD_DIR is not a CMake build directory (configure it, or set BUILD_DIR)"
  log "building tst_orders in ${BUILD_DIR#"$REPO_DIR"/}"
  cmake --build "$BUILD_DIR" --target tst_orders >"/tmp/checkout-stress-build.$$.log" 2>&1 \
    || { tail -30 "/tmp/checkout-stress-build.$$.log" >&2; rm -f "/tmp/checkout-stress-build.$$.log"; die "building tst_orders failed"; }
  rm -f "/tmp/checkout-stress-build.$$.log"
fi
[[ -x $TEST_SRC ]] || die "no test binary at $TEST_SRC (build the tst_orders target, or set BUILD_DIR)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_BEFORE: other work on this machine slows the runs"

TMP=$(make_tmp checkout-stress)
RUN_PID=''
# Stop every PostgreSQL whose cluster lives under $TMP (a run killed on its timeout cannot
# stop its own).
stop_clusters() {
  local f pm
  while IFS= read -r f; do
    pm=$(head -1 "$f" 2>/dev/null) || continue
    if [[ -z $pm ]] || ! kill -0 "$pm" 2>/dev/null; then continue; fi
    log "PostgreSQL $pm left behind by a run: stopping it"
    kill -INT "$pm" 2>/dev/null || true   # fast shutdown
    for _ in $(seq 1 40); do kill -0 "$pm" 2>/dev/null || break; sleep 0.25; done
  done < <(find "$TMP" -name postmaster.pid 2>/dev/null)
}
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $RUN_PID ]] && kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
  stop_clusters
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp "$TEST_SRC" "$TMP/tst_orders"
mkdir -p "$TMP/tmpdir"
chmod 711 "$TMP/tmpdir"
SHOPDESK_SRC=$TEST_SRC   # for machine_info

RESULTS=$TMP/runs.tsv
printf 'run\tresult\texit\twall_s\tfunction_s\n' >"$RESULTS"
passed=0 failed=0
for run in $(seq 1 "$RUNS"); do
  out=$TMP/run-$run.txt xml=$TMP/run-$run.xml rc=0
  t0=$(now_s)
  TMPDIR=$TMP/tmpdir timeout --kill-after=10 "$RUN_TIMEOUT" "$TMP/tst_orders" "$FUNCTION" \
    -o "$out,txt" -o "$xml,junitxml" >"$TMP/run-$run.stdout" 2>&1 &
  RUN_PID=$!
  wait "$RUN_PID" || rc=$?
  RUN_PID=
  wall=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
  stop_clusters
  # The function's own time (cluster start and schema excluded) from the JUnit XML.
  fn=$(sed -n "s/.*<testcase [^>]*name=\"$FUNCTION\"[^>]*time=\"\([0-9.]*\)\".*/\1/p" "$xml" 2>/dev/null | head -1 || true)
  if [[ $rc == 0 ]] && grep -q "^PASS   : .*::$FUNCTION()" "$out" 2>/dev/null; then
    result=pass; passed=$((passed + 1))
  else
    result=fail; failed=$((failed + 1))
    (( rc == 124 || rc == 137 )) && result="fail (killed after ${RUN_TIMEOUT} s)"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$run" "$result" "$rc" "$wall" "${fn:-}" >>"$RESULTS"
  log "run $run/$RUNS: $result in ${wall} s (function ${fn:-?} s)"
done

# ---- report -------------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
STAMP=$(date +%Y-%m-%d_%H%M)
OUT=$BENCH_DIR/results/checkout-stress-$STAMP.md
{
  echo "# 200 concurrent checkouts of a product with stock 50, $RUNS runs in a row ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine and versions:"
  echo
  machine_info
  echo "- PostgreSQL $(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -1) (each run starts its own cluster), Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null || echo '?')"
  echo "- test: \`tests/orders/tst_orders.cpp\`, \`$FUNCTION\`, run as \`tst_orders $FUNCTION\` (with initTestCase: a fresh cluster, the migrations; and cleanupTestCase)"
  echo "- load average right after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "What one run checks: one product with a stock of 50; 200 shoppers, each with one unit of it in the cart, check out at once (32 threads, a pool of 24 database connections). Exactly 50 orders and 150 \`INSUFFICIENT_STOCK\` refusals, no other error; stock 0; the inventory ledger matches the stock; the order items hold 50 units; no order without items; no product below zero."
  echo
  "$PYTHON" - "$RESULTS" "$RUNS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
runs = int(sys.argv[2])
ok = [r for r in rows if r["result"] == "pass"]
def f(v): return "%.1f s" % v
walls = [float(r["wall_s"]) for r in rows]
fns = [float(r["function_s"]) for r in rows if r["function_s"]]
print("| run | result | exit status | wall time | test function |")
print("|---:|---|---:|---:|---:|")
for r in rows:
    res = r["result"] if r["result"] == "pass" else "**%s**" % r["result"].upper()
    print("| %s | %s | %s | %s s | %s |" % (r["run"], res, r["exit"], r["wall_s"], (r["function_s"] + " s") if r["function_s"] else "n/a"))
print()
print("Wall time: the whole process (cluster start, migrations, the function, cluster stop). Test function: "
      "QtTest's own time for the function (JUnit XML).")
print()
if walls:
    print("Wall time median %s (min %s, max %s)%s." % (f(statistics.median(walls)), f(min(walls)), f(max(walls)),
          "; test function median %s (min %s, max %s)" % (f(statistics.median(fns)), f(min(fns)), f(max(fns))) if fns else ""))
    print()
# Longest run of consecutive passes.
best = cur = 0
for r in rows:
    cur = cur + 1 if r["result"] == "pass" else 0
    best = max(best, cur)
print("**Verdict:** %d of %d runs passed%s." % (len(ok), runs,
      " — every run sold exactly the stock (50 of 50, 150 refused)" if len(ok) == runs else
      "; longest streak of passes in a row: %d; **%d failed**" % (best, runs - len(ok))))
PY
  awk -F'\t' 'NR > 1 && $2 != "pass" { print $1 }' "$RESULTS" | while read -r n; do
    echo
    echo "<details><summary>run $n: test output</summary>"
    echo
    echo '```'
    tail -60 "$TMP/run-$n.txt" 2>/dev/null || true
    tail -20 "$TMP/run-$n.stdout" 2>/dev/null || true
    echo '```'
    echo
    echo "</details>"
  done
} >"$OUT"

echo
cat "$OUT"
echo
log "written: ${OUT#"$REPO_DIR"/}"
(( failed == 0 ))
exit
}
