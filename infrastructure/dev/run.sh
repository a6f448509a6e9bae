#!/usr/bin/env bash
# Runs ShopDesk: installs what is missing (Debian 12), builds, starts it.
# Every argument goes to shopdesk, e.g. ./infrastructure/dev/run.sh --headless --port 8080
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/infrastructure/dev/setup.sh"
"$root/infrastructure/dev/build.sh" "$root/build"
exec "$root/build/app/shopdesk" "$@"
