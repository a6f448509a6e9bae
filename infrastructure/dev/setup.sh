#!/usr/bin/env bash
# Installs what ShopDesk needs on Debian 12 and nothing else. Idempotent: when every
# package is already present it only runs dpkg-query and returns in well under a second.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config git
    # Qt 6.4: Core, Network, Sql + QPSQL, HttpServer, Widgets, Charts, PrintSupport, Test
    qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev libqt6opengl6-dev libqt6sql6-psql
    qt6-qpa-plugins libgl-dev qtkeychain-qt6-dev
    # security, tokens, 2FA, mail, redis
    libssl-dev libcrypt-dev libpq-dev libjwt-dev liboath-dev libqrencode-dev libcurl4-openssl-dev
    libhiredis-dev openssl
    # servers: the embedded database, the optional shared cache, pooling and ceilings
    postgresql-15 postgresql-client-15 redis-server pgbouncer nginx-light wrk
    # headless GUI and browser tests, SMTP sink
    xvfb xauth chromium python3-aiosmtpd
)
# Node.js may come from outside Debian (this machine kind ships Node 20 with npm 11,
# whose package conflicts with Debian's npm): take Debian's only when none is present.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
    # Debian starts these services on install; ShopDesk and its tests start their own.
    for svc in postgresql redis-server nginx pgbouncer; do
        "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
    done
fi
