#!/bin/sh
# Runs make bench's loads against pollux and against its peers on loopback,
# with the same certificate, and prints pollux's figures as ratios to
# each: molly-brown (Gemini), gophernicus under systemd-socket-activate
# (Gopher, a process per connection) and nginx's stream module answering
# every connection with a fixed `return` (no parsing, no lookup: the
# ceiling on this OpenSSL and this kernel). Installs the peers when root.
set -eu
cd "$(dirname "$0")/.."
need=""
for pkg in molly-brown gophernicus nginx-light libnginx-mod-stream systemd; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
		need="$need $pkg"
done
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench-peers needs:$need (sudo apt-get install -y$need)" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$need >/dev/null
	# The package starts a system nginx; the benchmark runs its own.
	systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
make -s pollux build/gemload
exec python3 contrib/bench-peers.py "$@"
