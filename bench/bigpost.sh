#!/usr/bin/env bash
# bench/bigpost.sh — proves the request body cap: a 200 MB POST must not grow the server.
#
# Usage:  bench/bigpost.sh
#   For each variant below, starts a fresh headless ShopDesk (own temporary data dir and
#   embedded PostgreSQL, default --max-body 1 MiB), warms it up with ordinary requests,
#   records its RSS and VmHWM, then POSTs a 200 MB body to /api/health REPEAT times:
#     cl          curl, Content-Length: 209715200, "Expect:" removed (body sent at once)
#     chunked     curl, Transfer-Encoding: chunked, from a pipe
#     expect      curl, Content-Length with curl's default "Expect: 100-continue"
#     raw-cl      a Python socket client, Content-Length; it reads while it sends and
#                 tells how the connection ended (FIN = orderly close, ECONNRESET = RST)
#     raw-chunked the same, chunked
#     parallel-chunked  PARALLEL socket clients at once, chunked (memory must not scale)
#   It records the HTTP status each got, how much was uploaded, how the connection ended,
#   the server's RSS/VmHWM before and after (and VmRSS sampled every 50 ms), and whether
#   /api/health still answers. Writes bench/results/bigpost-<date>.md.
#   Takes well under a minute. Needs: curl, python3. Listens on 127.0.0.1 only.
#
# Environment (defaults in brackets):
#   SHOPDESK_BIN   binary to test [build/app/shopdesk]; copied to the temp dir first
#   SIZE_MB        body size in MiB [200]
#   REPEAT         attempts per variant [5]
#   PARALLEL       clients of the parallel-chunked variant [20]
#   MAX_GROWTH_MB  allowed VmHWM growth per variant, MiB [8]: the cap is 1 MiB and a server
#                  that buffered the body would grow by ~200 MiB; this leaves room for
#                  per-request buffers of a few times the cap and allocator slack
#   PAR_MAX_GROWTH_MB  the same for parallel-chunked [16]
#   KEEP_TMP=1     keep the temporary directory (server log, curl output)
#
# Exit status: 0 when VmHWM grew less than MAX_GROWTH_MB in every variant, no attempt
# got a 2xx or hung, and /api/health answered 200 after every variant; 1 otherwise.
{ # parsed whole before it runs, so editing this file during a run is harmless
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHOPDESK_SRC=${SHOPDESK_BIN:-$REPO_DIR/build/app/shopdesk}
SIZE_MB=${SIZE_MB:-200}
REPEAT=${REPEAT:-5}
PARALLEL=${PARALLEL:-20}
MAX_GROWTH_MB=${MAX_GROWTH_MB:-8}
PAR_MAX_GROWTH_MB=${PAR_MAX_GROWTH_MB:-16}

for tool in curl "$PYTHON"; do command -v "$tool" >/dev/null || die "$tool not found"; done
[[ -x $SHOPDESK_SRC ]] || die "no ShopDesk binary at $SHOPDESK_SRC (build it, or set SHOPDESK_BIN)"

TMP=$(make_tmp bigpost)
SD_PID='' SAMPLER_PID=''
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $SAMPLER_PID ]] && kill -TERM "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
  stop_shopdesk "$TMP/sd"
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$TMP/sd"
cp "$SHOPDESK_SRC" "$TMP/sd/shopdesk"
PORT=$(free_port 18281)
URL=http://127.0.0.1:$PORT/api/health
BIG=$TMP/big.bin
truncate -s "${SIZE_MB}M" "$BIG"    # sparse: costs no disk, curl streams it with a Content-Length

cat >"$TMP/raw.py" <<'PY'
# raw.py PORT SIZE_BYTES cl|chunked — send a big POST, read concurrently, tell how it ended.
import errno, select, socket, sys, time
port, total, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setblocking(False)
head = b"POST /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
head += b"Transfer-Encoding: chunked\r\n\r\n" if mode == "chunked" else b"Content-Length: %d\r\n\r\n" % total
block = b"\0" * 65536
out, queued, resp, first, end = head, 0, b"", None, "timeout (30 s)"
def refill():
    global out, queued
    if queued < total:
        out += (b"10000\r\n" + block + b"\r\n") if mode == "chunked" else block
        queued += len(block)
    elif mode == "chunked" and not out.endswith(b"0\r\n\r\n"):
        out += b"0\r\n\r\n"
refill()
t0 = time.time()
name = lambda e: errno.errorcode.get(e.errno, str(e.errno))
while time.time() - t0 < 30:
    r, w, _ = select.select([s], [s] if out else [], [], 1)
    if r:
        try:
            d = s.recv(65536)
        except OSError as e:
            end = "recv " + name(e); break
        if not d:
            end = "FIN"; break
        if first is None: first = queued
        resp += d
    if w and out:
        try:
            n = s.send(out); out = out[n:]
            if not out: refill()
        except OSError as e:
            end = "send " + name(e)
            try:
                d = s.recv(65536); resp += d
            except OSError as e2:
                end += ", recv " + name(e2)
            break
status = resp.split(b" ", 2)[1].decode() if resp.startswith(b"HTTP/") else "000"
print("%s\t%d\t%s\t%.2f\t%s" % (status, queued, end, time.time() - t0,
      "-" if first is None else "%.1f MiB" % (first / 1048576)))
PY

ATTEMPTS=$TMP/attempts.tsv
SERVERS=$TMP/servers.tsv
printf 'variant\tattempt\tstatus\tclient_rc\tuploaded\tseconds\tend\tfirst_resp_after\n' >"$ATTEMPTS"
printf 'variant\trss0\thwm0\trss1\thwm1\tpeak\talive\thealth\trejected\n' >"$SERVERS"
CURL_FMT='%{http_code}\t%{size_upload}\t%{time_total}'
SIZE=$(( SIZE_MB * 1048576 ))

# attempt VARIANT N — one POST; appends a line to $ATTEMPTS.
attempt() {
  local variant=$1 n=$2 rc=0 end='-' first='-' res st up secs
  case $variant in
    cl)     res=$(curl -sS --max-time 60 -X POST -T "$BIG" -H 'Content-Type: application/octet-stream' -H 'Expect:' \
               -o /dev/null -w "$CURL_FMT" "$URL" 2>"$TMP/err") || rc=$? ;;
    expect) res=$(curl -sS --max-time 60 -X POST -T "$BIG" -H 'Content-Type: application/octet-stream' \
               -o /dev/null -w "$CURL_FMT" "$URL" 2>"$TMP/err") || rc=$? ;;
    chunked)
      set +e
      res=$(head -c "$SIZE" /dev/zero | curl -sS --max-time 60 -X POST -T - -H 'Content-Type: application/octet-stream' \
               -H 'Expect:' -o /dev/null -w "$CURL_FMT" "$URL" 2>"$TMP/err"; exit "${PIPESTATUS[1]}")
      rc=$?
      set -e ;;
    raw-cl|raw-chunked)
      IFS=$'\t' read -r st up end secs first < <("$PYTHON" "$TMP/raw.py" "$PORT" "$SIZE" "${variant#raw-}") || true
      res=$(printf '%s\t%s\t%s' "$st" "$up" "$secs") ;;
  esac
  IFS=$'\t' read -r st up secs <<<"$res"
  if [[ $variant != raw-* ]]; then
    if [[ $rc == 0 ]]; then end='response read'
    else end="curl exit $rc: $(tr -d '\n' <"$TMP/err" | sed 's/^curl: ([0-9]*) //')"; fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$n" "${st:-000}" "$rc" "${up:-0}" "${secs:-0}" "$end" "$first" >>"$ATTEMPTS"
  log "$variant #$n: HTTP ${st:-000}, uploaded ${up:-0} B in ${secs:-0}s, $end"
}

# Each variant gets a fresh server, so its memory growth is its own.
for variant in cl chunked expect raw-cl raw-chunked parallel-chunked; do
  rm -rf "$TMP/sd/data"
  start_shopdesk "$TMP/sd" "$PORT" --threads 2
  # Baseline after a warm-up of ordinary requests (GETs and a few 512 KiB POSTs, under the cap).
  for _ in $(seq 1 50); do curl -sS -o /dev/null "$URL"; done
  for _ in 1 2 3; do head -c 512K /dev/zero | curl -sS -o /dev/null -X POST --data-binary @- "$URL"; done
  sleep 0.5
  rss0=$(proc_kb "$SD_PID" VmRSS); hwm0=$(proc_kb "$SD_PID" VmHWM)
  rej0=$(metric "$PORT" shopdesk_http_requests_rejected_total)
  # Sample VmRSS every 50 ms while the variant runs.
  ( peak=0; while :; do r=$(proc_kb "$SD_PID" VmRSS); (( r > peak )) && peak=$r; echo "$peak" >"$TMP/rss.peak"; sleep 0.05; done ) &
  SAMPLER_PID=$!
  if [[ $variant == parallel-chunked ]]; then
    # PARALLEL socket clients at once, each streaming SIZE_MB chunked.
    par_pids=()
    for n in $(seq 1 "$PARALLEL"); do
      "$PYTHON" "$TMP/raw.py" "$PORT" "$SIZE" chunked >"$TMP/par.$n" 2>&1 &
      par_pids+=($!)
    done
    wait "${par_pids[@]}" || true
    for n in $(seq 1 "$PARALLEL"); do
      IFS=$'\t' read -r st up end secs first <"$TMP/par.$n" || true
      printf '%s\t%s\t%s\t0\t%s\t%s\t%s\t%s\n' "$variant" "$n" "${st:-000}" "${up:-0}" "${secs:-0}" "${end:-no output}" "${first:--}" >>"$ATTEMPTS"
    done
    log "$variant: $PARALLEL clients done: $(cut -f1 "$TMP"/par.* | sort | uniq -c | tr -s ' \n' ' ')"
  else
    for n in $(seq 1 "$REPEAT"); do attempt "$variant" "$n"; done
  fi
  sleep 0.5
  kill -TERM "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=''
  rss1=$(proc_kb "$SD_PID" VmRSS); hwm1=$(proc_kb "$SD_PID" VmHWM); peak=$(cat "$TMP/rss.peak")
  alive=no; kill -0 "$SD_PID" 2>/dev/null && alive=yes
  health=$(curl -sS --max-time 5 -o "$TMP/health" -w '%{http_code}' "$URL" 2>/dev/null || true)
  rej1=$(metric "$PORT" shopdesk_http_requests_rejected_total)
  rej=$(awk -v a="$rej0" -v b="$rej1" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) print b - a; else print "?" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$rss0" "$hwm0" "$rss1" "$hwm1" "$peak" "$alive" "${health:-000}" "$rej" >>"$SERVERS"
  log "$variant: VmHWM ${hwm0} -> ${hwm1} kB, VmRSS ${rss0} -> ${rss1} kB, /api/health afterwards HTTP ${health:-000}"
  if [[ $variant == parallel-chunked ]]; then
    HEALTH_BODY=$(cat "$TMP/health" 2>/dev/null || true)
    METRICS=$(curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null \
      | grep -E '^shopdesk_(http_requests_total.*status="4|http_requests_rejected|http_connections_(open|accepted|refused)|resident)' || true)
  fi
  stop_shopdesk "$TMP/sd"
  grep -Ev 'level=(info|debug)' "$TMP/sd/shopdesk.log" | sed "s/^/[$variant] /" >>"$TMP/problems.log" || true
done
SERVER_LOG=$(tail -20 "$TMP/problems.log" 2>/dev/null || true)

mkdir -p "$BENCH_DIR/results"
OUT=$BENCH_DIR/results/bigpost-$(date +%Y-%m-%d_%H%M).md
{
  echo "# ${SIZE_MB} MB POST against the 1 MiB body cap ($(date '+%Y-%m-%d %H:%M %Z'))"
  echo
  echo "Machine:"
  echo
  machine_info
  echo "- ShopDesk: \`--headless --threads 2\`, default --max-body (1 MiB), a fresh server per variant;"
  echo "  target POST /api/health; $REPEAT attempts per variant, $PARALLEL clients at once for parallel-chunked"
  echo
  "$PYTHON" - "$ATTEMPTS" "$SERVERS" "$MAX_GROWTH_MB" "$SIZE_MB" "$PAR_MAX_GROWTH_MB" <<'PY'
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
servers = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
limit_kb, par_limit_kb = float(sys.argv[3]) * 1024, float(sys.argv[5]) * 1024
mb = lambda kb: "%.1f MiB" % (int(kb) / 1024)
dmb = lambda kb: "%+.1f MiB" % (kb / 1024)
desc = {"cl": "curl, Content-Length, no Expect", "chunked": "curl, chunked",
        "expect": "curl, Content-Length, Expect: 100-continue", "raw-cl": "socket client, Content-Length",
        "raw-chunked": "socket client, chunked", "parallel-chunked": "socket clients in parallel, chunked"}
by = collections.OrderedDict()
for r in rows: by.setdefault(r["variant"], []).append(r)
print("| variant | attempts | HTTP status received | how the connection ended (client side) | uploaded, max | time, max |")
print("|---|---:|---|---|---:|---:|")
bad = []
for v, rs in by.items():
    st = collections.Counter(r["status"] for r in rs)
    ends = collections.Counter(r["end"] for r in rs)
    bad += [r for r in rs if r["status"].startswith("2") or "timeout" in r["end"] or "timed out" in r["end"]]
    print("| %s | %d | %s | %s | %.1f MiB | %.2f s |" % (
        desc.get(v, v), len(rs),
        ", ".join("%s ×%d" % (k if k != "000" else "none (000)", n) for k, n in st.most_common()),
        "; ".join("%s ×%d" % (k, n) for k, n in ends.most_common()),
        max(float(r["uploaded"] or 0) for r in rs) / 1048576, max(float(r["seconds"] or 0) for r in rs)))
print()
print("Server memory, fresh server per variant (before = after warm-up, after = after the variant):")
print()
print("| variant | VmRSS before → after | VmHWM before → after | VmHWM growth | VmRSS max (50 ms samples) | rejected_total delta | /api/health after |")
print("|---|---:|---:|---:|---:|---:|---:|")
over, unhealthy, growths = [], [], []
for s in servers:
    g = int(s["hwm1"]) - int(s["hwm0"]); growths.append(g)
    lim = par_limit_kb if s["variant"].startswith("parallel") else limit_kb
    if g >= lim: over.append(s["variant"])
    if s["alive"] != "yes" or s["health"] != "200": unhealthy.append(s["variant"])
    print("| %s | %s → %s | %s → %s | %s | %s (%s) | %s | %s |" % (
        desc.get(s["variant"], s["variant"]), mb(s["rss0"]), mb(s["rss1"]), mb(s["hwm0"]), mb(s["hwm1"]),
        ("**%s**" if g >= lim else "%s") % dmb(g), mb(s["peak"]), dmb(int(s["peak"]) - int(s["rss0"])),
        s["rejected"], s["health"] if s["alive"] == "yes" else "process gone"))
checks = [("VmHWM growth under %.0f MiB per variant (%.0f MiB for the parallel one); the body is %s MiB; largest growth %s%s" % (
           limit_kb / 1024, par_limit_kb / 1024, sys.argv[4], dmb(max(growths)), (", over in: " + ", ".join(over)) if over else ""), not over),
          ("no attempt got a 2xx or hung", not bad),
          ("server alive and GET /api/health 200 after every variant", not unhealthy)]
print()
for name, ok in checks: print("- %s: %s" % ("PASS" if ok else "**FAIL**", name))
resets = [r for r in rows if "RESET" in r["end"] or "reset" in r["end"]]
lost = [r for r in rows if r["status"] == "000"]
if resets:
    print()
    print("Note: %d of %d attempts saw the connection reset (RST) rather than an orderly close, and %d never "
          "received the 413 (HTTP 000). The server answers 413 with `Connection: close` and closes while the "
          "client is still sending, with unread body in its receive buffer, so the kernel sends RST; a client "
          "that only reads after its send fails (curl) then often loses the 413." % (len(resets), len(rows), len(lost)))
print()
print("**Verdict:** " + ("PASS" if all(ok for _, ok in checks) else "FAIL"))
PY
  echo
  echo "<details><summary>every attempt, /metrics and log</summary>"
  echo
  echo "| variant | # | status | client rc | uploaded B | s | end | first response byte after |"
  echo "|---|---:|---|---:|---:|---:|---|---:|"
  tail -n +2 "$ATTEMPTS" | sed 's/\t/ | /g; s/^/| /; s/$/ |/'
  echo
  echo "GET /api/health after the last variant: \`$HEALTH_BODY\`; its /metrics:"
  echo
  echo '```'
  echo "$METRICS"
  echo '```'
  echo
  if [[ -n $SERVER_LOG ]]; then
    echo "ShopDesk log lines other than level=info, per variant:"; echo; echo '```'; echo "$SERVER_LOG"; echo '```'
  else echo "ShopDesk log lines other than level=info: none"; fi
  echo "</details>"
} >"$OUT"
echo
cat "$OUT"
echo
log "written: ${OUT#"$REPO_DIR"/}"
grep -q '^\*\*Verdict:\*\* PASS' "$OUT"
exit
}
