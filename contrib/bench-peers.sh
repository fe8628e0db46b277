#!/bin/sh
# Runs make bench's loads against pollux and against its peers on loopback,
# with the same certificate, and prints pollux's figures as ratios to
# each: molly-brown (Gemini), gophernicus under systemd-socket-activate
# (Gopher, a process per connection) and nginx's stream module answering
# every connection with a fixed `return` of pollux's bytes (no parsing, no
# lookup: the ceiling on this OpenSSL and this kernel). Installs the peers
# when root (apt-get update first; no service is started, stopped or
# restarted: nginx runs as an instance of our own, from a temporary
# folder). BENCH_SECONDS (3), BENCH_PEER_ROUNDS (3), BENCH_WORKERS (one
# per CPU, for pollux and nginx alike).
set -eu
cd "$(dirname "$0")/.."
. contrib/bench-apt.sh
echo "== machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' \
	/proc/cpuinfo | sort -u | paste -sd/ -)), kernel $(uname -r); load \
average $(cut -d' ' -f1-3 /proc/loadavg)"
bench_install molly-brown gophernicus nginx-light libnginx-mod-stream \
	systemd util-linux procps || exit 1
make -s pollux build/gemload
exec "${PYTHON:-python3}" contrib/bench-peers.py "$@"
