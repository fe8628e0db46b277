#!/usr/bin/env python3
"""Resumed Gemini handshakes through HAProxy (contrib/haproxy.cfg, two
instances sharing certificate and ticket key, the PROXY protocol between)
against the same load straight to one instance: both rates and their
ratio. Uses the end-to-end tests' harness and the recipe as
tests/e2e/test_haproxy.py runs it.

    python3 contrib/bench-cluster.py [POLLUX [GEMLOAD]]   (make build/gemload)

BENCH_SECONDS (default 5) and BENCH_CONNS (default 16) set the load.
One run on a shared machine: compare the ratio, not single numbers."""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("POLLUX", sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(ROOT, "pollux"))
from pollux_harness import Pollux  # noqa: E402
from test_haproxy import HAProxy, for_nobody, make_cert  # noqa: E402

GEMLOAD = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    ROOT, "build", "gemload")
SECONDS = os.environ.get("BENCH_SECONDS", "5")
CONNS = os.environ.get("BENCH_CONNS", "16")


def load(port, pid):
    out = subprocess.run([GEMLOAD, "-c", CONNS, "-t", SECONDS, "-p",
                          str(pid), "-r", "gemini://localhost:%d/" % port],
                         check=True, capture_output=True, text=True).stdout
    return dict(f.split("=", 1) for f in out.split() if "=" in f)


def cpu_seconds(pid):
    """User and system time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def row(name, r, pollux_us, haproxy_us):
    requests = int(r["requests"]) or 1
    print("%-28s %5s %8s %8s %8s %8s %9.0f%% %11.0f %11s" % (
        name, CONNS, r["rps"], r["p50_ms"], r["p99_ms"], r["errors"],
        100.0 * int(r["resumed"]) / requests, pollux_us, haproxy_us))


def main():
    if not os.path.exists(GEMLOAD):
        sys.exit("no %s: make build/gemload" % GEMLOAD)
    folder = tempfile.mkdtemp(prefix="pollux-bench-cluster-")
    os.chmod(folder, 0o755)
    capsule = os.path.join(ROOT, "capsule")
    cert, key = make_cert(folder)
    ticket = os.path.join(folder, "ticket.key")
    with open(ticket, "wb") as f:
        f.write(os.urandom(80))
    for_nobody(key, ticket)
    common = ("--cert", cert, "--key", key, "--ticket-key", ticket,
              "--hostname", "localhost", "--max-per-ip", "0")
    # The cost of a resumed handshake is the instances' CPU per request,
    # whichever instance issued the ticket; HAProxy's own is shown apart.
    print("%-28s %5s %8s %8s %8s %8s %10s %11s %11s" % (
        "gemini home, resumed", "conns", "req/s", "p50_ms", "p99_ms",
        "errors", "resumed", "pollux_us", "haproxy_us"))
    try:
        one = Pollux(capsule, *common, ipv6=False, chroot="/")
        try:
            direct = load(one.gemini_port, one.proc.pid)
        finally:
            one.stop()
        row("straight to one instance", direct,
            float(direct["cpu_us_per_req"]), "-")
        proxied = ("--proxy-protocol", "--trusted-proxy", "127.0.0.1")
        a = Pollux(capsule, *common, *proxied, ipv6=False, chroot="/")
        b = Pollux(capsule, *common, *proxied, ipv6=False, chroot="/")
        lb = HAProxy(folder, a, b)
        try:
            lb.wait_servers({"a": "UP", "b": "UP"})
            before = cpu_seconds(a.proc.pid) + cpu_seconds(b.proc.pid)
            through = load(lb.gemini_port, lb.proc.pid)
            spent = cpu_seconds(a.proc.pid) + cpu_seconds(b.proc.pid) - before
        finally:
            lb.stop()
            a.stop()
            b.stop()
        pollux_us = spent * 1e6 / (int(through["requests"]) or 1)
        row("through HAProxy, 2 instances", through, pollux_us,
            through["cpu_us_per_req"])
        print("pollux CPU per resumed request, through HAProxy / straight: "
              "%.2f" % (pollux_us / float(direct["cpu_us_per_req"])))
        print("ratio of rates, through HAProxy / straight: %.2f (HAProxy "
              "shares the cores)" % (float(through["rps"]) /
                                     float(direct["rps"])))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
