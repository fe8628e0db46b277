#!/usr/bin/env python3
"""make bench's idle connections, each run in a pollux of its own, started
for it and never loaded before (a process that has served load has freed
heap that new connections reuse, which hides their cost): N connections
to the Gemini port that send nothing, or N that finish the TLS handshake
and send no request. Memory is the process's VmRSS and Pss before and
after, per connection; the connections the server holds are its stats
line's (SIGUSR1), not the client's count. Runs alternate, TCP then TLS,
BENCH_IDLE_RUNS times (3); each figure is median [min-max].

The handshake and request deadlines are raised to a minute so that none
of the N is closed while the others are opened; they change no
per-connection allocation.

    bench-idle.py POLLUX"""
import os
import shutil
import socket
import ssl
import sys
import tempfile
import time

from benchlib import Pollux, pss_kib, spread, status_kib

CONNS = int(os.environ.get("BENCH_IDLE_CONNS", "1000"))
RUNS = int(os.environ.get("BENCH_IDLE_RUNS", "3"))


def settle(srv, want, timeout=20):
    """The stats line once the server holds want connections, or the
    last one seen at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        st = srv.stats()
        if st["connections"] >= want or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


def one(binary, kind):
    tmp = tempfile.mkdtemp(prefix="pollux-idle-")
    os.chmod(tmp, 0o755)
    srv = Pollux(binary, "capsule", tmp, ["--handshake-timeout", "60000",
                                           "--request-timeout", "60000"])
    socks = []
    try:
        srv.wait_serving()
        time.sleep(0.5)
        st0 = srv.stats()
        rss0, pss0 = status_kib(srv.pid, "VmRSS"), pss_kib(srv.pid)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for _ in range(CONNS):
            s = socket.create_connection(("127.0.0.1", srv.gem), 10)
            if kind == "tls":
                s = ctx.wrap_socket(s, server_hostname="localhost")
            socks.append(s)
        st1 = settle(srv, st0["connections"] + CONNS)
        time.sleep(1)   # the last handshakes' Finished read, tickets sent
        st1 = srv.stats()
        rss1, pss1 = status_kib(srv.pid, "VmRSS"), pss_kib(srv.pid)
        held = st1["connections"] - st0["connections"]
        return {"held": held, "rss0": rss0,
                "rss": (rss1 - rss0) / max(held, 1),
                "pss": (pss1 - pss0) / max(held, 1) if pss0 >= 0 else None}
    finally:
        for s in socks:
            s.close()
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    binary = sys.argv[1]
    kinds = (("tcp", "TCP connected, nothing sent"),
             ("tls", "TLS handshake done, no request"))
    res = {k: [] for k, _ in kinds}
    for _ in range(RUNS):
        for k, _ in kinds:
            res[k].append(one(binary, k))
    print("%-32s %6s %10s %-22s %-22s" % (
        "idle connections, fresh process", "held", "base_RSS",
        "KiB/conn by RSS", "KiB/conn by Pss"))
    for k, title in kinds:
        rs = res[k]
        pss = [r["pss"] for r in rs if r["pss"] is not None]
        print("%-32s %6d %8.0fKi %-22s %-22s" % (
            title, min(r["held"] for r in rs),
            sorted(r["rss0"] for r in rs)[len(rs) // 2],
            spread([r["rss"] for r in rs], "%.1f"), spread(pss, "%.1f")))
    print("%d connections per run, held = the fewest the server's stats "
          "counted; median [min-max] of %d runs, TCP and TLS in turn, each "
          "in a pollux started for it" % (CONNS, RUNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
