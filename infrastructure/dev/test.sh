#!/usr/bin/env bash
# Runs every test suite: installs what is missing (Debian 12), builds, runs ctest on
# the normal build and again on an AddressSanitizer + UndefinedBehaviorSanitizer build.
# SHOPDESK_SKIP_SANITIZER=1 skips the second pass (quicker local runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/infrastructure/dev/setup.sh"

# Browser-test dependencies (pinned in tests/e2e/package-lock.json): npm ci only when
# node_modules is missing or older than the lock file (a stamp written after a complete
# install), so an unchanged tree costs nothing.
e2e="$root/tests/e2e"
stamp="$e2e/node_modules/.shopdesk-npm-ci"
if [[ ! -f "$stamp" || "$e2e/package-lock.json" -nt "$stamp" ]]; then
    echo "== npm ci (tests/e2e)"
    (cd "$e2e" && npm ci --no-audit --no-fund)
    touch "$stamp"
fi

echo "== build and test (RelWithDebInfo)"
"$root/infrastructure/dev/build.sh" "$root/build"
(cd "$root/build" && ctest --output-on-failure --timeout 600)

if [[ "${SHOPDESK_SKIP_SANITIZER:-0}" != 1 ]]; then
    echo "== build and test (ASan + UBSan)"
    "$root/infrastructure/dev/build.sh" "$root/build-asan" -DSHOPDESK_SANITIZE=ON
    # Leak checking stays off: Qt's plugin loader and fontconfig keep process-lifetime
    # allocations that LeakSanitizer reports as leaks; memory errors are still fatal.
    # (strict_string_checks stays off too: libxkbcommon-x11 strndup()s an unterminated
    # buffer when Qt connects to an X server, outside ShopDesk's code.)
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    (cd "$root/build-asan" && ctest --output-on-failure --timeout 900)
fi
