# Helpers shared by the bench/ scripts (health.sh, bigpost.sh, catalog.sh). Sourced, not run.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $PYTHON ]] || PYTHON=python3

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A port nobody listens on yet, from $1 upwards.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# A private temporary directory. Execute-only for others: as root, ShopDesk hands the
# embedded cluster to an unprivileged account, which must be able to reach the data dir
# (else the cluster goes to /var/lib/shopdesk/<hash>, outside what we clean up).
make_tmp() {
  local t
  t=$(mktemp -d "/tmp/shopdesk-bench-$1.XXXXXX")
  chmod 711 "$t"
  echo "$t"
}

# Raise the soft open-file limit to at least $1 (and to the hard limit).
raise_nofile() {
  local need=$1 hard
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited && $hard -lt $need ]]; then
    ulimit -Hn "$need" 2>/dev/null || die "open-file hard limit is $hard, need $need (raise it, e.g. as root or in limits.conf)"
    hard=$need
  fi
  ulimit -Sn "$hard"
}

# utime+stime (clock ticks) of one process; 0 when gone.
proc_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }                 # drop "pid (comm) ", comm may hold spaces
  # shellcheck disable=SC2086
  set -- $stat                      # now $1 is field 3 (state): utime=$12 stime=$13
  echo $(( ${12} + ${13} ))
}

# A /proc/<pid>/status field in kB (VmRSS, VmHWM); 0 when gone.
proc_kb() {
  awk -v k="$2:" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

now_s() { date +%s.%N; }

# One metric value from a ShopDesk /metrics (no labels), or "?".
metric() {
  curl -sS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | awk -v m="$2" '$1 == m { print $2; f = 1 } END { if (!f) print "?" }' || echo "?"
}

machine_info() {
  local model
  model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "- nproc: $(nproc)"
  echo "- kernel: $(uname -r)"
  echo "- CPU model: ${model:-unknown}"
  echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- load average before the run: ${LOAD_BEFORE:-$(cut -d' ' -f1-3 /proc/loadavg)} (1, 5, 15 min; the benchmark wants an idle machine)"
  echo "- open-file limit (soft/hard): $(ulimit -Sn)/$(ulimit -Hn)"
  echo "- ShopDesk: $SHOPDESK_SRC ($(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || echo ', uncommitted changes'))"
}

# start_shopdesk DIR PORT [extra args...] — sets SD_PID; log in DIR/shopdesk.log.
start_shopdesk() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir/data"
  "$dir/shopdesk" --headless --bind 127.0.0.1 --port "$port" --data-dir "$dir/data" \
    --access-log off "$@" >"$dir/shopdesk.log" 2>&1 &
  SD_PID=$!
  for _ in $(seq 1 120); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      log "shopdesk pid $SD_PID ready on 127.0.0.1:$port"
      return 0
    fi
    kill -0 "$SD_PID" 2>/dev/null || { tail -20 "$dir/shopdesk.log" >&2; die "shopdesk exited during start"; }
    sleep 0.5
  done
  tail -20 "$dir/shopdesk.log" >&2
  die "shopdesk not ready after 60 s"
}

# Stop shopdesk with SIGTERM (it stops its own PostgreSQL); SIGKILL after 30 s,
# then stop the embedded cluster by hand so no postgres is left behind.
stop_shopdesk() {
  local dir=$1 pid=${SD_PID:-}
  [[ -n $pid ]] || return 0
  SD_PID=
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "shopdesk $pid ignored SIGTERM for 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  # The cluster directory, from the server's log: under the data dir, or (as root,
  # when the database account cannot reach the data dir) /var/lib/shopdesk/<hash>.
  local slog=$dir/shopdesk.log pgdata root pmpid
  pgdata=$(sed -n 's/.*creating a PostgreSQL cluster in //p; s/.*PostgreSQL is already running on \([^ ]*\).*/\1/p' "$slog" 2>/dev/null | tail -1)
  if [[ -n $pgdata && -f $pgdata/postmaster.pid ]]; then
    pmpid=$(head -1 "$pgdata/postmaster.pid")
    if [[ -n $pmpid ]] && kill -0 "$pmpid" 2>/dev/null; then
      log "embedded PostgreSQL $pmpid still running: stopping it"
      kill -INT "$pmpid" 2>/dev/null || true   # postgres "fast shutdown"
      for _ in $(seq 1 20); do kill -0 "$pmpid" 2>/dev/null || break; sleep 0.5; done
    fi
  fi
  root=$(sed -n 's#.*so the cluster lives in \(/var/lib/shopdesk/[0-9a-zA-Z]*\)$#\1#p' "$slog" 2>/dev/null | tail -1)
  [[ -n $root && -d $root ]] && rm -rf "$root"
  return 0
}

# start_nginx DIR PORT MAX_CONNS WORKERS SERVER_LINES — nginx as the HTTP ceiling: its own
# prefix, config and logs under DIR, `daemon off` in the background, serving DIR/html on
# 127.0.0.1:PORT with the settings health.sh uses (worker_processes WORKERS, a listening
# socket per worker with backlog 4096 like ShopDesk's, keepalive_requests 1000000,
# access_log off, default type application/json). SERVER_LINES go into the server block
# (locations, open_file_cache, ...). Call raise_nofile first. Sets NGX_PID and waits until
# nginx answers (any status).
start_nginx() {
  local dir=$1 port=$2 conns=$3 workers=$4 lines=$5
  mkdir -p "$dir/html" "$dir/logs"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile $(ulimit -Sn);
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
user $(id -un);
events {
    worker_connections $(( conns + 512 ));
}
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    server {
        listen 127.0.0.1:$port backlog=4096 reuseport;
        root $dir/html;
$lines
    }
}
EOF
  "${NGINX:-nginx}" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
  NGX_PID=$!
  for _ in $(seq 1 40); do
    curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
    kill -0 "$NGX_PID" 2>/dev/null || { cat "$dir/logs/error.log" >&2; die "nginx exited during start"; }
    sleep 0.25
  done
  log "nginx pid $NGX_PID ready on 127.0.0.1:$port"
}

# Stop the nginx start_nginx started (fast shutdown, workers included).
stop_nginx() {
  local pid=${NGX_PID:-}
  [[ -n $pid ]] || return 0
  NGX_PID=
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  return 0
}
