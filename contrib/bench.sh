#!/bin/sh
# make bench: pollux on loopback with the sample capsule, measured with
# contrib/gemload; then, side by side with nginx's stream module (when it
# is installed, or can be: Debian's nginx and libnginx-mod-stream), the
# system calls behind a request, reloads of 10,000 posts under load, idle
# connections, and loading. One run on a shared machine: read the figures
# as rates and ratios, not verdicts.
set -eu
cd "$(dirname "$0")/.."
POLLUX=${POLLUX:-./pollux}
LOAD=${LOAD:-build/gemload}
SECONDS_EACH=${BENCH_SECONDS:-3}
GEM=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
GOPH=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
CERTS=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$CERTS"' EXIT INT TERM
# --chroot /: the certificate folder stays reachable for a second start.
# --max-per-ip 0: every client here is 127.0.0.1.
"$POLLUX" --capsule capsule --listen 127.0.0.1 --gemini-port "$GEM" \
	--gopher-port "$GOPH" --certs "$CERTS" --chroot / --max-per-ip 0 \
	>/dev/null 2>&1 &
PID=$!
sleep 1
SLUG=$("$POLLUX" --dump gemini://localhost/posts/ | sed -n 's|^=> /posts/\(.*\)\.gmi .*|\1|p' | head -1)

echo "== pollux, --workers $(nproc) (one per CPU)"
printf '%-34s %5s %9s %8s %8s %7s %12s\n' load conns req/s p50_ms p99_ms errors cpu_us/req
row() { # name conns args...
	name=$1 c=$2
	shift 2
	out=$("$LOAD" -c "$c" -t "$SECONDS_EACH" -p "$PID" "$@")
	eval "$(echo "$out" | tr ' ' '\n' | grep -E '^(rps|p50_ms|p99_ms|errors|cpu_us_per_req)=')"
	printf '%-34s %5s %9s %8s %8s %7s %12s\n' "$name" "$c" "$rps" "$p50_ms" \
		"$p99_ms" "$errors" "$cpu_us_per_req"
}
for c in 1 16 64; do
	row "gemini home, full handshake" $c "gemini://localhost:$GEM/"
	row "gemini home, resumed" $c -r "gemini://localhost:$GEM/"
	row "gemini post, full handshake" $c "gemini://localhost:$GEM/posts/$SLUG.gmi"
	row "gemini post, resumed" $c -r "gemini://localhost:$GEM/posts/$SLUG.gmi"
	row "gopher root menu" $c "gopher://localhost:$GOPH/1/"
	row "gopher post" $c "gopher://localhost:$GOPH/0/posts/$SLUG.txt"
done

# Idle connections: RSS before and after 1,000 connections that send nothing.
python3 - "$PID" "$GEM" <<'PY'
import socket, sys, time
pid, port = sys.argv[1], int(sys.argv[2])
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss()
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
time.sleep(1)
after = rss()
print("idle: 1000 connections held, RSS %d KiB -> %d KiB: %.1f KiB per idle connection"
      % (before, after, (after - before) / 1000))
for c in conns:
    c.close()
PY
kill $PID
wait $PID 2>/dev/null || true

# The peers and the tracers, installed when we may.
need=""
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need="nginx libnginx-mod-stream"
command -v strace >/dev/null || need="$need strace"
if [ -n "$need" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1 || true
	# The package starts a system nginx; the benchmark runs its own.
	systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
echo
echo "== against nginx's stream return of the same bytes, one worker each"
python3 contrib/bench-nginx.py "$POLLUX" "$LOAD"
echo
echo "== slow readers"
python3 contrib/bench-slow.py "$POLLUX"
echo
echo "== reloads under load"
python3 contrib/bench-swap.py "$POLLUX" "$LOAD" "${BENCH_POSTS:-10000}"
echo
POLLUX="$POLLUX" python3 contrib/bench-load.py "${BENCH_POSTS:-10000}"
