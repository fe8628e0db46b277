#!/usr/bin/env python3
"""make bench's first table: pollux alone on loopback with the sample
capsule and its default workers (one per CPU), driven by contrib/gemload
at 1, 16 and 64 connections. Every row is run BENCH_ROUNDS times (3), a
round going through all the rows before the next begins, so a row's runs
are spread over the whole table's time rather than back to back; rates
are median [min-max], latencies and CPU the median.

    bench-rates.py POLLUX GEMLOAD"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import Pollux, gemload, spread

ROUNDS = int(os.environ.get("BENCH_RATE_ROUNDS", "3"))
SECONDS = os.environ.get("BENCH_SECONDS", "3")


def main():
    binary, load = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="pollux-rates-")
    os.chmod(tmp, 0o755)
    srv = Pollux(binary, "capsule", tmp)
    try:
        srv.wait_serving()
        home = subprocess.run([binary, "--capsule", "capsule", "--dump",
                               "gemini://localhost/posts/"],
                              capture_output=True).stdout
        slug = re.search(rb"^=> /posts/(\S+)\.gmi ", home, re.M).group(1) \
            .decode()
        gem = "gemini://localhost:%d" % srv.gem
        goph = "gopher://localhost:%d" % srv.goph
        rows = []
        for c in (1, 16, 64):
            rows += [("gemini home, full handshake", c, gem + "/", False),
                     ("gemini home, resumed", c, gem + "/", True),
                     ("gemini post, full handshake", c,
                      gem + "/posts/%s.gmi" % slug, False),
                     ("gemini post, resumed", c,
                      gem + "/posts/%s.gmi" % slug, True),
                     ("gopher root menu", c, goph + "/1/", False),
                     ("gopher post", c, goph + "/0/posts/%s.txt" % slug,
                      False)]
        gemload(load, gem + "/", 4, requests=200)     # warm
        gemload(load, goph + "/1/", 4, requests=2000)
        results = [[] for _ in rows]
        for _ in range(ROUNDS):
            for i, (_, c, url, resume) in enumerate(rows):
                results[i].append(gemload(load, url, c, srv.pid, resume,
                                          seconds=SECONDS))
        print("%-28s %5s %-24s %8s %8s %7s %10s" % (
            "load", "conns", "req/s", "p50_ms", "p99_ms", "errors",
            "cpu_us/req"))
        for (name, c, _, _), rs in zip(rows, results):
            def med(key):
                return statistics.median(r.get(key, -1) for r in rs)
            print("%-28s %5d %-24s %8.2f %8.2f %7d %10.0f" % (
                name, c, spread([r["rps"] for r in rs], "%.0f"), med("p50_ms"),
                med("p99_ms"), sum(r.get("errors", 0) for r in rs),
                med("cpu_us_per_req")))
        print("req/s: median [min-max] of %d runs of %s s, the rows in turn; "
              "p50, p99, cpu: medians; errors: all runs" % (ROUNDS, SECONDS))
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
