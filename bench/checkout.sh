#!/usr/bin/env bash
# bench/checkout.sh — checkout throughput (orders/s) and latency of POST /api/orders with
# concurrent shoppers, each with an account, a cart and a keep-alive connection of its own.
#
# Usage:  bench/checkout.sh
#   1. Copies the ShopDesk binary to a temporary directory, runs `shopdesk seed-demo
#      --products $PRODUCTS` on a fresh data dir there and makes an administrator with
#      `shopdesk create-admin` (password on stdin).
#   2. Starts `shopdesk --headless --threads 2 --bcrypt-cost 10 --trusted-proxies 127.0.0.1
#      --access-log off`. bench/checkout_load.py signs the admin in, raises the stock of
#      products 1..$HOT by $RESTOCK through POST /api/admin/products/{id}/stock (so no
#      checkout is refused for want of stock) and registers $SHOPPERS customers, each from
#      its own X-Forwarded-For address (the auth routes allow 20 per address, then one per
#      3 s; the server believes the header from 127.0.0.1 only).
#   3. Ceilings, with the same client, connections and shoppers: GET /api/health (no
#      database: what the client and the HTTP core can do) and GET /api/cart (an indexed
#      read in a transaction on the worker pool, the path checkout takes).
#   4. The checkout load: $CONCURRENCY shoppers loop for WARMUP + DURATION seconds: one or
#      two POST /api/cart {product_id: uniform in 1..HOT, quantity 1..3}, then POST
#      /api/orders {shipping_address} with a fresh Idempotency-Key. Only answers that
#      arrive in the last DURATION seconds are measured; POST /api/orders and POST
#      /api/cart latencies are kept apart.
#   5. Checks, through the admin API: orders in the shop == the 201s the shoppers got,
#      no product below zero stock, each hot product's stock == restocked stock minus what
#      the 201s sold; and, when psql is installed, the same in SQL plus the inventory
#      ledger (stock == sum of its movements; order items == sale movements; no order
#      without items).
#   6. Prints a Markdown report and writes bench/results/checkout-<date>_<time>.md.
#   Everything listens on 127.0.0.1 only; every run is bounded in time; a trap stops
#   ShopDesk (and its PostgreSQL) and removes the temporary directory, also on failure or
#   Ctrl-C. About 2 minutes with the defaults. Needs: curl, python3 (standard library only);
#   psql (postgresql-client) for the SQL checks.
#
# Environment (defaults in brackets):
#   SHOPDESK_BIN     binary to test [build/app/shopdesk]; copied first
#   PRODUCTS         products to seed [2000]
#   HOT              products the shoppers buy: ids 1..HOT [200]
#   RESTOCK          stock added to each hot product before the load [1000000]
#   SHOPPERS         customer accounts registered [50]
#   CONCURRENCY      shoppers looping at once, one connection each [SHOPPERS]; at most SHOPPERS
#   DURATION         measured seconds of the checkout load [30]
#   WARMUP           seconds of the same load before the measured window [5]
#   CEILING_DURATION measured seconds of each ceiling run (after the same warm-up) [10]
#   SERVER_THREADS   ShopDesk --threads [2]
#   BCRYPT_COST      ShopDesk --bcrypt-cost (registration speed only) [10]
#   SERVER_ARGS      more ShopDesk flags, e.g. "--workers 8 --db-pool-size 12" []
#   REQUEST_TIMEOUT  client timeout per request, seconds [30]
#   SEED             random seed of the shoppers' choices [time]
#   KEEP_TMP=1       keep the temporary directory (logs, JSON of every run)
#
# Exit status: 0 when the checks pass (orders == 201s, no negative stock, stock and ledger
# consistent) and at least one order was placed; 1 otherwise. Errors under load are
# reported, not fatal.
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHOPDESK_SRC=${SHOPDESK_BIN:-$REPO_DIR/build/app/shopdesk}
PRODUCTS=${PRODUCTS:-2000}
HOT=${HOT:-200}
RESTOCK=${RESTOCK:-1000000}
SHOPPERS=${SHOPPERS:-50}
CONCURRENCY=${CONCURRENCY:-$SHOPPERS}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
CEILING_DURATION=${CEILING_DURATION:-10}
SERVER_THREADS=${SERVER_THREADS:-2}
BCRYPT_COST=${BCRYPT_COST:-10}
SERVER_ARGS=${SERVER_ARGS:-}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-30}
SEED=${SEED:-$(date +%s)}
LOAD=$BENCH_DIR/checkout_load.py
ADMIN_EMAIL=bench-admin@bench.test
ADMIN_PASSWORD="bench-admin-$RANDOM$RANDOM-pass"

for tool in curl "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install curl python3)"
done
[[ -x $SHOPDESK_SRC ]] || die "no ShopDesk binary at $SHOPDESK_SRC (build it, or set SHOPDESK_BIN)"
[[ -f $LOAD ]] || die "bench/checkout_load.py missing"
(( CONCURRENCY <= SHOPPERS )) || die "CONCURRENCY ($CONCURRENCY) > SHOPPERS ($SHOPPERS): two loops would share one cart"
(( HOT <= PRODUCTS )) || die "HOT ($HOT) > PRODUCTS ($PRODUCTS)"
PSQL=$(command -v psql || true)
[[ -n $PSQL ]] || log "warning: no psql (apt-get install postgresql-client): the SQL checks are skipped"

raise_nofile $(( CONCURRENCY + 1024 ))
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_BEFORE: other work on this machine will skew the numbers"

TMP=$(make_tmp checkout)
SD_PID=''
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
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
# psql on the embedded cluster: its socket directory and port are lines 5 and 4 of
# postmaster.pid; the superuser and database are both "shopdesk", trust on the socket.
sql() {
  local d
  d=$(pg_dir)
  "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -h "$(sed -n 5p "$d/postmaster.pid")" -p "$(sed -n 4p "$d/postmaster.pid")" \
    -U shopdesk -d shopdesk -c "$1"
}

# ---- 1. seed, administrator ---------------------------------------------------------
log "seed-demo: $PRODUCTS products into a fresh data dir"
t0=$(now_s)
if ! (cd "$SD" && ./shopdesk seed-demo --products "$PRODUCTS" --data-dir "$SD/data") >"$SD/seed.log" 2>&1; then
  tail -30 "$SD/seed.log" >&2
  die "shopdesk seed-demo failed"
fi
SEED_SECONDS=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
if ! printf '%s\n' "$ADMIN_PASSWORD" | (cd "$SD" && ./shopdesk create-admin --email "$ADMIN_EMAIL" \
    --bcrypt-cost "$BCRYPT_COST" --data-dir "$SD/data") >"$SD/create-admin.log" 2>&1; then
  tail -30 "$SD/create-admin.log" >&2
  die "shopdesk create-admin failed"
fi
stop_sd   # in case a subcommand left its cluster behind

# ---- 2. server, restock, shoppers ---------------------------------------------------
PORT=$(free_port 18381)
# shellcheck disable=SC2086  # SERVER_ARGS is a list of flags
start_shopdesk "$SD" "$PORT" --threads "$SERVER_THREADS" --bcrypt-cost "$BCRYPT_COST" \
  --trusted-proxies 127.0.0.1 --access-token-ttl 86400 $SERVER_ARGS
PM_PID=$(postmaster_pid)
export CHECKOUT_ADMIN_EMAIL=$ADMIN_EMAIL CHECKOUT_ADMIN_PASSWORD=$ADMIN_PASSWORD
"$PYTHON" "$LOAD" prepare --port "$PORT" --shoppers "$SHOPPERS" --hot "$HOT" --restock "$RESTOCK" \
  --out "$TMP/state.json" || die "preparing the shop failed"

load() { # MODE DURATION OUT
  "$PYTHON" "$LOAD" run --port "$PORT" --state "$TMP/state.json" --mode "$1" --concurrency "$CONCURRENCY" \
    --warmup "$WARMUP" --duration "$2" --timeout "$REQUEST_TIMEOUT" --seed "$SEED" \
    --server-pid "$SD_PID" --postmaster-pid "${PM_PID:-0}" --out "$3"
  kill -0 "$SD_PID" 2>/dev/null || { tail -30 "$SD/shopdesk.log" >&2; die "ShopDesk died during the $1 run"; }
  sleep 1
}

# ---- 3. ceilings, 4. checkout -------------------------------------------------------
log "ceiling: GET /api/health, $CONCURRENCY connections, ${WARMUP}+${CEILING_DURATION} s"
load health "$CEILING_DURATION" "$TMP/run-health.json"
log "ceiling: GET /api/cart, $CONCURRENCY shoppers, ${WARMUP}+${CEILING_DURATION} s"
load cart "$CEILING_DURATION" "$TMP/run-cart.json"
curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics-before.txt" 2>/dev/null || true
log "checkout: $CONCURRENCY shoppers, ${WARMUP}+${DURATION} s"
load checkout "$DURATION" "$TMP/run-checkout.json"
curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics-after.txt" 2>/dev/null || true

# ---- 5. checks ----------------------------------------------------------------------
sleep 1   # let the tail of the load (requests still in flight at the deadline) land
"$PYTHON" "$LOAD" verify --port "$PORT" --state "$TMP/state.json" --runs "$TMP/run-checkout.json" \
  --out "$TMP/verify.json" || die "the admin API checks could not run"
SQL_FILE=$TMP/sql.tsv
: >"$SQL_FILE"
if [[ -n $PSQL ]]; then
  # name <TAB> value <TAB> wanted value
  {
    printf 'orders\t%s\t%s\n' "$(sql 'SELECT count(*) FROM orders')" "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_201"])' "$TMP/verify.json")"
    printf 'products with stock < 0\t%s\t0\n' "$(sql 'SELECT count(*) FROM products WHERE stock < 0')"
    printf 'products whose stock is not the sum of their ledger movements\t%s\t0\n' "$(sql \
      'SELECT count(*) FROM products p WHERE p.stock <> (SELECT coalesce(sum(m.delta), 0) FROM inventory_movements m WHERE m.product_id = p.id)')"
    printf 'products whose units in order items differ from their sale movements\t%s\t0\n' "$(sql \
      "SELECT count(*) FROM (SELECT product_id, sum(quantity) AS q FROM order_items GROUP BY 1) i
         FULL JOIN (SELECT product_id, -sum(delta) AS q FROM inventory_movements WHERE reason = 'sale' GROUP BY 1) m
         USING (product_id) WHERE i.q IS DISTINCT FROM m.q")"
    printf 'orders without items\t%s\t0\n' "$(sql 'SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)')"
    printf 'orders whose total is not the sum of their lines\t%s\t0\n' "$(sql \
      'SELECT count(*) FROM orders o WHERE o.subtotal_cents <> (SELECT sum(i.line_total_cents) FROM order_items i WHERE i.order_id = o.id)')"
    printf 'units sold (order items)\t%s\t%s\n' "$(sql 'SELECT coalesce(sum(quantity), 0) FROM order_items')" "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["units_sold"])' "$TMP/verify.json")"
  } >"$SQL_FILE" 2>"$TMP/sql.err" || log "warning: SQL checks failed: $(tr '\n' ' ' <"$TMP/sql.err")"
fi
PG_VERSION=$(cat "$(pg_dir)/PG_VERSION" 2>/dev/null || echo '?')
stop_sd

# ---- 6. report ----------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
STAMP=$(date +%Y-%m-%d_%H%M)
OUT=$BENCH_DIR/results/checkout-$STAMP.md
{
  echo "# Checkout: $CONCURRENCY concurrent shoppers against ShopDesk ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine and versions:"
  echo
  machine_info
  echo "- versions: PostgreSQL $PG_VERSION (embedded cluster), Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null || echo '?'), $("$PYTHON" --version 2>&1) (the load client)"
  echo "- data: \`shopdesk seed-demo --products $PRODUCTS\` into a fresh data dir (${SEED_SECONDS} s), an administrator from \`shopdesk create-admin\`"
  echo "- ShopDesk: \`--headless --threads $SERVER_THREADS --bcrypt-cost $BCRYPT_COST --trusted-proxies 127.0.0.1 --access-token-ttl 86400 --access-log off${SERVER_ARGS:+ $SERVER_ARGS}\` (other settings default: workers, pool size)"
  echo "- client: bench/checkout_load.py, one asyncio process, one HTTP/1.1 keep-alive connection per shopper; random seed $SEED"
  echo "- load generator and server share the same $(nproc) cores; load average right after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$PYTHON" - "$TMP" "$SQL_FILE" "$CONCURRENCY" "$DURATION" "$WARMUP" "$CEILING_DURATION" "$HOT" "$RESTOCK" <<'PY'
import json, os, sys
tmp, sql_file = sys.argv[1], sys.argv[2]
C, D, W, CD, HOT, RESTOCK = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
J = lambda n: json.load(open(os.path.join(tmp, n)))
state, co, he, ca, ver = J("state.json"), J("run-checkout.json"), J("run-health.json"), J("run-cart.json"), J("verify.json")

def ms(v): return "n/a" if v is None else ("%.2f ms" % v if v < 10 else "%.1f ms" % v if v < 100 else "%.0f ms" % v)
def num(v, fmt="{:,.0f}"): return "n/a" if v is None else fmt.format(v)
def statuses(k):
    s = ", ".join("%s: %s" % (st, "{:,}".format(n)) for st, n in sorted(k.get("status", {}).items()))
    return s or "—"
def errors(k):
    bad = {c: n for c, n in k.get("codes", {}).items()}
    parts = ["%s %d" % kv for kv in sorted(bad.items())] + ["socket %s %d" % kv for kv in sorted(k.get("socket_errors", {}).items())]
    return "**" + ", ".join(parts) + "**" if parts else "0"

print("%d shoppers (customer accounts registered for the run in %.1f s, bcrypt cost as above), one connection each. "
      "Products 1..%d had their stock raised by %s first (in %.1f s), so stock never runs out. Each shopper loops: "
      "one or two `POST /api/cart {product_id: uniform in 1..%d, quantity 1..3}`, then `POST /api/orders "
      "{shipping_address: {name, line1, city, postal_code, country: \"US\"}}` with a fresh `Idempotency-Key`; "
      "after an order that is not 201 it empties the cart (unmeasured) and goes on. "
      "Each run: %s s of warm-up, then the measured window; only answers that arrive inside the window count."
      % (len(state["shoppers"]), state["register_s"], HOT, "{:,}".format(RESTOCK), state["restock_s"], HOT, W))
print()
print("| run | request | window | answers | per second | p50 | p90 | p99 | max | statuses | errors |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
rows = [("**checkout**", "`POST /api/orders`", co, "order", D), ("", "`POST /api/cart`", co, "cart", D),
        ("ceiling", "`GET /api/cart` (same shoppers)", ca, "cart_get", CD), ("ceiling", "`GET /api/health`", he, "health", CD)]
for run, name, r, kind, win in rows:
    k = r["kinds"].get(kind, {})
    print("| %s | %s | %s s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        run, name, win, num(k.get("requests")), num(k.get("per_s"), "{:,.1f}"), ms(k.get("p50")), ms(k.get("p90")),
        ms(k.get("p99")), ms(k.get("max")), statuses(k), errors(k)))
print()
orders_s = co.get("orders_per_s", 0)
loop = co.get("loop_requests_per_s", 0)
hps, cps = he.get("requests_per_s"), ca.get("requests_per_s")
print("**Checkout throughput: %.1f orders/s** at %d concurrent shoppers (201 answers of `POST /api/orders` per second "
      "of the window); p99 of `POST /api/orders`: **%s**." % (orders_s, C, ms(co["kinds"].get("order", {}).get("p99"))))
print()
if loop and hps:
    print("Ceiling: the same client on the same %d connections got %s answers/s from `GET /api/health` (no database), "
          "%.1f× the %s requests/s of the checkout loop (cart and order calls together): the client was not what "
          "limited checkout. `GET /api/cart` (authenticated, one indexed read in a transaction, on the worker pool like "
          "checkout) answered %s/s, %.1f× the checkout loop's request rate."
          % (C, num(hps), hps / loop, num(loop, "{:,.1f}"), num(cps), (cps / loop) if cps else 0))
    print()
print("| run | ShopDesk CPU | PostgreSQL CPU | client CPU | other processes |")
print("|---|---:|---:|---:|---:|")
for name, r in (("checkout", co), ("GET /api/cart", ca), ("GET /api/health", he)):
    c = r.get("cpu", {})
    f = lambda v: "n/a" if v is None else "%.0f%%" % v
    print("| %s | %s | %s | %s | %s |" % (name, f(c.get("server_pct")), f(c.get("postgres_pct")), f(c.get("client_pct")),
                                          f(c.get("other_pct"))))
print()
print("CPU over the measured window from /proc, 100 % = one core: ShopDesk's process; PostgreSQL = the postmaster, its "
      "reaped children and every live backend; client = the Python load client (one process, so at most 100 %); other = "
      "the machine's busy time less those three. Latencies: from writing the request to reading the whole answer, in the "
      "client, so they include the client's own scheduling delay (see its CPU).")
busy = ["%s (%.0f%%)" % (n, r["cpu"]["other_pct"]) for n, r in (("checkout", co), ("GET /api/cart", ca), ("GET /api/health", he))
        if r.get("cpu", {}).get("other_pct", 0) >= 10]
if busy:
    print()
    print("**Runs disturbed by other work on the machine (≥ 10 %% of a core): %s; their figures are low. Run it again on "
          "a quiet machine.**" % ", ".join(busy))
print()

# Checks.
print("## Checks after the load")
print()
t = co.get("totals", {})
print("The shoppers got **%s** `201 Created` orders in all (warm-up and the requests still in flight at the end "
      "included; %s other answers to `POST /api/orders`)." % ("{:,}".format(ver["client_201"]), "{:,}".format(t.get("order_other", 0))))
print()
def mark(ok): return "yes" if ok else "**NO**"
print("| check | found | wanted | passed |")
print("|---|---:|---:|---|")
print("| admin API: `GET /api/admin/orders?limit=1` total | %s | %s | %s |" % (ver["orders_total"], ver["client_201"], mark(ver["orders_total"] == ver["client_201"])))
print("| distinct order ids among the 201s | %s | %s | %s |" % (ver["distinct_order_ids"], ver["client_201"], mark(ver["distinct_order_ids"] == ver["client_201"])))
print("| admin API: products with stock < 0 (of %d listed; lowest stock %s) | %d | 0 | %s |" % (ver["products_seen"], ver["min_stock"], len(ver["negative_stock"]), mark(not ver["negative_stock"])))
print("| admin API: hot products whose stock ≠ restocked stock − units the 201s sold | %d | 0 | %s |" % (len(ver["stock_mismatch"]), mark(not ver["stock_mismatch"])))
sql_ok = True
rows = [l.rstrip("\n").split("\t") for l in open(sql_file) if l.strip()]
for name, found, want in rows:
    ok = found.strip() == want.strip()
    sql_ok &= ok
    print("| SQL: %s | %s | %s | %s |" % (name, found, want, mark(ok)))
if not rows:
    print("| SQL checks | skipped (no psql, or it failed) | | |")
print()
if ver["stock_mismatch"]:
    print("Stock mismatches (first 10): " + "; ".join("product %(product_id)d: expected %(expected)s, found %(actual)s" % m for m in ver["stock_mismatch"][:10]))
    print()
print("Order statuses in the shop: " + (", ".join("%s %s" % kv for kv in sorted(ver["order_counts"].items()) if kv[1]) or "—") +
      "; %s units of %d products sold." % ("{:,}".format(ver["units_sold"]), ver["products_sold"]))
print()
ok = ver["ok"] and sql_ok and ver["client_201"] > 0
order = co["kinds"].get("order", {})
bad = sum(n for s, n in order.get("status", {}).items() if s != "201") + sum(order.get("socket_errors", {}).values())
print("**Verdict:** %s orders/s at %d shoppers, p99 of POST /api/orders %s; %s; %s." % (
    "%.1f" % orders_s, C, ms(order.get("p99")),
    "every POST /api/orders in the window answered 201" if not bad else "**%d POST /api/orders in the window did not answer 201**" % bad,
    "every check passed (orders == 201s, no negative stock, stock and ledger consistent)" if ok else "**a check FAILED**"))
open(os.path.join(tmp, "ok"), "w").write("1" if ok else "0")
PY
  echo
  echo "<details><summary>ShopDesk's pool and worker metrics after the load, log lines other than level=info</summary>"
  echo
  echo '```'
  grep -Ev '^#|_bucket\{' "$TMP/metrics-after.txt" 2>/dev/null | grep -E '^shopdesk_(db_|worker|http_connections|http_requests_rejected)' \
    || echo "(no /metrics after the load)"
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
