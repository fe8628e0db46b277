#!/bin/sh
# make bench: pollux on loopback, measured with contrib/gemload and a few
# probes of its own. In order: idle connections in pollux processes
# started for them (before any load), request rates of pollux alone, pollux
# beside nginx's stream module returning the same bytes (when nginx and
# its stream module are installed, or can be: Debian's nginx and
# libnginx-mod-stream), system calls and writes per request, resumed
# handshakes through HAProxy and two instances, slow readers,
# reloads under load, and loads and reloads of 10,000 and 50,000 posts.
# Every figure with a spread is median [min-max] of runs taken in turn.
# A shared machine: read the figures as rates and ratios, not verdicts.
#
# BENCH_SECONDS (3) seconds per load run; BENCH_RATE_ROUNDS (3) and
# BENCH_ROUNDS (5) runs per row of pollux alone and beside nginx;
# BENCH_IDLE_CONNS (1000), BENCH_IDLE_RUNS (3); BENCH_SWAP_SECONDS (30);
# BENCH_POSTS (10000) for the reloads under load; BENCH_LOAD_POSTS
# ("10000 50000") and BENCH_LOAD_RUNS (3) for the load and reload rows.
set -eu
cd "$(dirname "$0")/.."
POLLUX=${POLLUX:-./pollux}
LOAD=${LOAD:-build/gemload}
PY=${PYTHON:-python3}
. contrib/bench-apt.sh

echo "== machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' \
	/proc/cpuinfo | sort -u | paste -sd/ -)), $(awk '/MemTotal/ \
	{printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
echo "   $(openssl version 2>/dev/null || echo 'openssl: n/a'); load average \
$(cut -d' ' -f1-3 /proc/loadavg) at the start; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   pollux $(git describe --always --dirty 2>/dev/null || echo '?')"
start=$(date +%s)

# The peer and the tracers, installed when we may (no service started).
bench_install nginx libnginx-mod-stream strace || true

echo
echo "== idle connections, each run in a pollux started for it"
$PY contrib/bench-idle.py "$POLLUX"
echo
echo "== pollux alone, --workers $(nproc) (one per CPU, the default)"
$PY contrib/bench-rates.py "$POLLUX" "$LOAD"
echo
echo "== against nginx's stream return of the same bytes, one worker each"
$PY contrib/bench-nginx.py "$POLLUX" "$LOAD"
echo
echo "== resumed handshakes through HAProxy (contrib/haproxy.cfg), two instances"
if command -v haproxy >/dev/null; then
	$PY contrib/bench-cluster.py "$POLLUX" "$LOAD"
else
	echo "haproxy is not installed (contrib/install-deps.sh installs it): no row"
fi
echo
echo "== slow readers"
$PY contrib/bench-slow.py "$POLLUX"
echo
echo "== reloads under load"
$PY contrib/bench-swap.py "$POLLUX" "$LOAD" "${BENCH_POSTS:-10000}"
echo
echo "== loads and reloads"
POLLUX="$POLLUX" $PY contrib/bench-load.py ${BENCH_LOAD_POSTS:-10000 50000}
echo
echo "== $(($(date +%s) - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
