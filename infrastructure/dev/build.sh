#!/usr/bin/env bash
# Configures (once) and builds one build tree. Usage: build.sh <build-dir> [cmake -D options...]
# Incremental: when nothing changed, ninja has no work to do.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
shift
if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
fi
# Two cores, and a C++ translation unit of Qt code takes ~1 GiB: -j2 keeps memory sane.
cmake --build "$dir" -- -j"$(nproc)"
