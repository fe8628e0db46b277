#!/usr/bin/env python3
"""make bench's reload test: pollux serving a generated capsule of N posts
(bench-load.py's), Gopher requests on 16 connections for T seconds, first
without reloads, then with a SIGHUP every few seconds; the latencies of
both, and how many reloads were swapped in. A swap only changes a pointer
and the old snapshot is freed off the loops, so the second run's p99 and
max should differ from the first by what the rebuild's CPU takes from a
shared machine, not by a pause at the swap. BENCH_SWAP_ROUNDS (3) rounds
of BENCH_SWAP_SECONDS (10) without reloads, then as many with, in turn;
rates and latencies are median [min-max] of the rounds.

    bench-swap.py POLLUX GEMLOAD [POSTS]"""
import importlib.util
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import spread  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SWAP_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_SWAP_ROUNDS", "3"))
EVERY = float(os.environ.get("BENCH_SWAP_EVERY", "3"))
SLOWEST = 500
SPIKE_MS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gemload(load, url, conns, seconds):
    """The figures, and the slowest requests as (start, ms)."""
    out = subprocess.run([load, "-c", str(conns), "-t", str(seconds), "-s",
                          str(SLOWEST), url],
                         capture_output=True, text=True, timeout=600).stdout
    first = out.splitlines()[0] if out else ""
    r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.-]+)", first)}
    r["slow"] = [(float(a), float(m)) for a, m in
                 re.findall(r"^slow at=([\d.]+) ms=([\d.]+)$", out, re.M)]
    return r


def over(r, ms):
    n = sum(1 for _, m in r["slow"] if m > ms)
    return ">=%d" % n if n == len(r["slow"]) and n else "%d" % n


def main():
    pollux_bin, load = sys.argv[1], sys.argv[2]
    posts = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    spec = importlib.util.spec_from_file_location(
        "bench_load", os.path.join(os.path.dirname(__file__), "bench-load.py"))
    bench_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_load)
    root = tempfile.mkdtemp(prefix="pollux-swap-")
    os.chmod(root, 0o755)   # read as nobody once privileges are dropped
    proc = None
    try:
        bench_load.write_capsule(os.path.join(root, "capsule"), posts)
        gem, goph = free_port(), free_port()
        err = open(os.path.join(root, "stderr"), "w+")
        proc = subprocess.Popen(
            [pollux_bin, "--capsule", os.path.join(root, "capsule"),
             "--listen", "127.0.0.1", "--gemini-port", str(gem),
             "--gopher-port", str(goph), "--certs", os.path.join(root, "certs"),
             "--chroot", "/", "--max-per-ip", "0"],
            stdout=subprocess.DEVNULL, stderr=err)
        # The ports open before the capsule is read: wait for the line
        # that says it is served.
        for _ in range(1200):
            if "serving " in open(err.name).read() or proc.poll() is not None:
                break
            time.sleep(0.1)
        if proc.poll() is not None or "serving " not in open(err.name).read():
            print("pollux did not start:", open(err.name).read()[-500:])
            return 1
        url = "gopher://localhost:%d/1/" % goph
        gemload(load, url, 16, 1)   # warm
        quiet, busy, swaps, at_swap = [], [], [], []
        for _ in range(ROUNDS):
            quiet.append(gemload(load, url, 16, SECONDS))
            stop = threading.Event()
            swapped = []   # when each "reloaded" line appeared (CLOCK_MONOTONIC)

            def reloads():
                while not stop.wait(EVERY):
                    proc.send_signal(signal.SIGHUP)

            def watch():
                seen = open(err.name).read().count("reloaded:")
                while not stop.wait(0.002):
                    n = open(err.name).read().count("reloaded:")
                    swapped.extend([time.monotonic()] * (n - seen))
                    seen = n
            threads = [threading.Thread(target=reloads),
                       threading.Thread(target=watch)]
            for t in threads:
                t.start()
            r = gemload(load, url, 16, SECONDS)
            stop.set()
            for t in threads:
                t.join()
            busy.append(r)
            swaps.append(len(swapped))
            # In flight at a swap: its line comes out a little after it.
            at_swap += [m for a, m in r["slow"] if m > SPIKE_MS and any(
                a - 0.005 <= s and s - 0.025 <= a + m / 1e3 for s in swapped)]
        print("%-36s %-20s %7s %-20s %-22s %7s %6s" % (
            "gopher menu, 16 conns, %d posts" % posts, "req/s", "p50_ms",
            "p99_ms", "max_ms", ">%dms" % SPIKE_MS, "errors"))
        for name, rs in (("no reloads", quiet),
                         ("%d reload%s swapped in" % (
                             sum(swaps), "" if sum(swaps) == 1 else "s"),
                          busy)):
            print("%-36s %-20s %7.2f %-20s %-22s %7s %6d" % (
                "  " + name, spread([r["rps"] for r in rs], "%.0f"),
                statistics.median(r["p50_ms"] for r in rs),
                spread([r["p99_ms"] for r in rs]),
                spread([r["max_ms"] for r in rs]),
                "/".join(over(r, SPIKE_MS) for r in rs),
                sum(r["errors"] for r in rs)))
        print("  of the requests over %d ms, in flight at a swap: %d%s" % (
            SPIKE_MS, len(at_swap), " (the slowest %.1f ms)" % max(at_swap)
            if at_swap else ""))
        print("  %d rounds of %g s without reloads, then %g s with a SIGHUP "
              "every %g s (swaps: %s); median [min-max]; >%dms: per round"
              % (ROUNDS, SECONDS, SECONDS, EVERY,
                 "/".join(str(n) for n in swaps), SPIKE_MS))
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
