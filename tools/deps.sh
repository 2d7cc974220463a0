#!/bin/sh
# deps.sh - install the Debian packages the kit needs, if any are missing.
#
# Idempotent: when everything is installed it only says so. It installs
# with apt-get as root, or through sudo; where neither is possible it stops
# and prints the one command to run. `make deps` and `make test` call it.
# Usage: sh tools/deps.sh [grading|bench]
#   grading: only what `make grade` needs (the graders' images: setup.sh);
#   bench: everything, and the benchmark's packages.
set -eu

grading="build-essential valgrind curl wget openssl netcat-openbsd python3"
packages="$grading libcunit1-dev clang clang-format clang-tidy graphviz
chromium gdb strace"
case "${1:-}" in
grading) packages=$grading ;;
bench) packages="$packages wrk nginx tinyproxy squid" ;;
esac

# The kit runs Debian's own Python (the Makefile's PYTHON), which must be
# 3.9 or later: Debian 11 and later, Ubuntu 22.04 and later.
PYTHON=${PYTHON:-/usr/bin/python3}
check_python() {
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
        echo "deps: the kit needs Python 3.9 or later; $PYTHON is" \
            "$("$PYTHON" --version 2>&1 || echo missing)" >&2
        exit 1
    fi
}

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *"ok installed") ;;
    *) missing="$missing $p" ;;
    esac
done
# Node.js and npm run Marp, which renders the slides (make slides): any
# install of them will do, so look for the command, not Debian's package.
[ "${1:-}" = grading ] || command -v npm >/dev/null 2>&1 ||
    missing="$missing nodejs npm"
if [ -z "$missing" ]; then
    echo "deps: every package the kit needs is installed"
    check_python
    exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo" # may ask for your password once
else
    echo "deps: cannot install as $(id -un); run this once, then retry:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is split on purpose
$sudo apt-get install -y -qq --no-install-recommends $missing
check_python
