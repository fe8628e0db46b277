#!/bin/sh
# Installs what pollux needs to build and test, and nothing when all is present.
# Called by the Makefile before it builds; as root it uses apt-get, otherwise
# it prints the exact command to run and stops.
set -eu

need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# cmark-gfm, the program, brings the GFM spec whose examples tests/spec.py
# runs; haproxy runs the cluster recipe in tests/e2e/test_haproxy.py.
for pkg in build-essential pkg-config libuv1-dev libssl-dev libcmark-gfm-dev \
           libcmark-gfm-extensions-dev cmark-gfm libyaml-dev libcmocka-dev \
           openssl curl lynx sacc python3 python3-feedparser clang valgrind \
           haproxy; do
	have "$pkg" || need="$need $pkg"
done
[ -z "$need" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pollux needs these packages:$need" >&2
	echo "install them with: sudo apt-get install -y$need" >&2
	exit 1
fi
echo "installing:$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
