# Sourced by contrib/bench.sh and contrib/bench-peers.sh: bench_install
# PACKAGE... installs the Debian packages among them that are missing,
# when run as root, after apt-get update (a machine without package lists
# has nothing to install from). Packages that start a service on install
# (nginx) must not: the benchmarks run their own instances, and a system
# service is not theirs to start, stop or restart. So unless the machine
# already has one, a policy-rc.d that denies every start is put in place
# for the install and removed after it. Returns 1 when something is still
# missing.
bench_missing() {
	missing=""
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'ok installed' || missing="$missing $pkg"
	done
}

bench_install() {
	command -v dpkg-query >/dev/null || return 1
	bench_missing "$@"
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		echo "missing:$missing (as root: apt-get install$missing)" >&2
		return 1
	fi
	echo "installing:$missing" >&2
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		trap 'rm -f "$policy"' EXIT
		trap 'rm -f "$policy"; exit 130' INT TERM
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing \
			>/dev/null || rc=1
	if [ -n "$policy" ]; then
		rm -f "$policy"
		trap - EXIT INT TERM
	fi
	bench_missing "$@"
	[ -z "$missing" ] && [ $rc -eq 0 ]
}
