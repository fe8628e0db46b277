#!/usr/bin/env python3
"""make bench's load and reload rows. For each size (default 10,000 and
50,000 posts) a generated capsule (write_capsule, the same every time;
bench-swap.py uses it too) is loaded by a pollux started on it, and the
time until its "pollux: serving " line, the CPU time it took (user +
system, all threads, /proc/PID/stat) and its peak RSS (VmHWM) are read.
Then one line is appended to one post, which the server sees by inotify:
the time from the edit to its "reloaded:" line (which includes the
reloader's 200 ms wait for the editor to finish writing), the CPU time
of that, and the peak RSS while both snapshots live (VmHWM, reset by
/proc/PID/clear_refs just before the edit). A probe fetches the edited
post over Gopher, one request at a time, about one per millisecond, from
before the edit until the edit is served: the p99 and max of the
requests started during the reload. The server's CPU in the reload row
includes serving the probe (its requests are counted).

Sizes alternate (10,000, 50,000, 10,000, ...) BENCH_LOAD_RUNS times (3);
each figure is median [min-max].

    POLLUX=./pollux bench-load.py [POSTS ...]"""
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Pollux, cpu_seconds, spread, status_kib  # noqa: E402

POLLUX = os.environ.get("POLLUX", "./pollux")
RUNS = int(os.environ.get("BENCH_LOAD_RUNS", "3"))
TAGS = ["django", "payments", "nginx", "linux", "security", "cryptography",
        "iot", "esp32", "python", "career", "aws", "performance"]
WORDS = ("the server reads every request line then looks the path up in a "
         "table built when the capsule loads so nothing is parsed twice and "
         "no file is opened while a client waits").split()


def body(rng, i):
    paras = []
    for k in range(rng.randint(6, 14)):
        words = rng.choices(WORDS, k=rng.randint(30, 90))
        paras.append(" ".join(words).capitalize() + ".")
    paras.insert(2, "## Details\n\n* one *item*\n* two with `code`\n"
                    "  * nested [link](https://example.org/%d)\n" % i)
    paras.insert(4, "```python\nprint('post %d')\n```" % i)
    paras.append("See [the previous post](post-%05d.md)." % max(i - 1, 0))
    paras.append("| a | b |\n|---|---|\n| %d | %d |" % (i, i * 2))
    return "\n\n".join(paras) + "\n"


def write_capsule(root, n):
    """n generated posts in root (made if missing), the same every time."""
    rng = random.Random(1)
    os.makedirs(os.path.join(root, "posts"), exist_ok=True)
    with open(os.path.join(root, "site.yaml"), "w") as f:
        f.write("title: Bench\nauthor: Bench\nlanguage: en\n")
    for i in range(n):
        y, m, d = 2000 + i % 26, 1 + i % 12, 1 + i % 28
        tags = ", ".join(rng.sample(TAGS, 3))
        with open(os.path.join(root, "posts", "post-%05d.md" % i), "w") as f:
            f.write('---\ntitle: "Post number %d"\nsummary: "About %d."\n'
                    "date: %04d-%02d-%02d\ntags: [%s]\n---\n%s"
                    % (i, i, y, m, d, tags, body(rng, i)))


def gopher(port, selector):
    """(seconds, bytes) of one Gopher request."""
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(selector + b"\r\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return time.monotonic() - t, b"".join(chunks)


def one(root, n, run):
    """A pollux started on root/capsule: its load, then a reload after
    an edit, with a probe running through it."""
    srv = Pollux(POLLUX, os.path.join(root, "capsule"), root)
    post = os.path.join(root, "capsule", "posts", "post-00000.md")
    original = open(post, "rb").read()
    try:
        load_s = srv.wait_serving()
        load = {"wall": load_s, "cpu": cpu_seconds(srv.pid),
                "peak": status_kib(srv.pid, "VmHWM")}
        selector = b"/posts/post-00000.txt"
        marker = b"Edited for run %d." % run
        probe = []          # (start, seconds)
        served = []         # when the edit was first seen
        stop = threading.Event()

        def probing():
            while not stop.is_set():
                t = time.monotonic()
                try:
                    dt, body = gopher(srv.goph, selector)
                except OSError:
                    dt, body = float("inf"), b""
                probe.append((t, dt))
                if marker in body and not served:
                    served.append(t + dt)
                time.sleep(0.001)
        th = threading.Thread(target=probing)
        th.start()
        time.sleep(1)
        before = srv.stderr().count("reloaded:")
        with open("/proc/%d/clear_refs" % srv.pid, "w") as f:
            f.write("5")    # VmHWM from here on
        cpu0 = cpu_seconds(srv.pid)
        t0 = time.monotonic()
        with open(post, "ab") as f:
            f.write(b"\n" + marker + b"\n")
        deadline = t0 + 600
        swapped = None
        while time.monotonic() < deadline:
            if swapped is None and srv.stderr().count("reloaded:") > before:
                swapped = time.monotonic()
                cpu1 = cpu_seconds(srv.pid)
                peak = status_kib(srv.pid, "VmHWM")
            if swapped is not None and served:
                break
            time.sleep(0.002)
        stop.set()
        th.join()
        if swapped is None or not served:
            raise RuntimeError("the edit was not served: "
                               + srv.stderr()[-500:])
        during = sorted(dt for t, dt in probe if t0 <= t <= served[0])
        reload = {"wall": swapped - t0, "cpu": cpu1 - cpu0, "peak": peak,
                  "served": served[0] - t0, "requests": len(during),
                  "p99": during[min(len(during) - 1,
                                    int(len(during) * 0.99))] * 1e3,
                  "max": during[-1] * 1e3}
        return load, reload
    finally:
        srv.stop()
        open(post, "wb").write(original)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10000, 50000]
    roots = {}
    try:
        for n in sizes:
            root = roots[n] = tempfile.mkdtemp(prefix="pollux-load-")
            os.chmod(root, 0o755)   # read as nobody once privileges drop
            write_capsule(os.path.join(root, "capsule"), n)
            # The certificate is made once, before any run is timed.
            srv = Pollux(POLLUX, "capsule", root)
            srv.wait_serving()
            srv.stop()
        res = {n: [] for n in sizes}
        for run in range(RUNS):
            for n in sizes:
                res[n].append(one(roots[n], n, run))
        print("%-34s %-20s %-20s %-24s %-18s %-18s" % (
            "capsule loads and reloads", "wall_s", "cpu_s", "peak_RSS_MiB",
            "probe_p99_ms", "probe_max_ms"))
        for n in sizes:
            loads = [r[0] for r in res[n]]
            reloads = [r[1] for r in res[n]]
            print("%-34s %-20s %-20s %-24s" % (
                "%d posts, start to serving" % n,
                spread([r["wall"] for r in loads]),
                spread([r["cpu"] for r in loads]),
                spread([r["peak"] / 1024 for r in loads], "%.0f")))
            print("%-34s %-20s %-20s %-24s %-18s %-18s" % (
                "%d posts, reload after an edit" % n,
                spread([r["wall"] for r in reloads]),
                spread([r["cpu"] for r in reloads]),
                spread([r["peak"] / 1024 for r in reloads], "%.0f"),
                spread([r["p99"] for r in reloads]),
                spread([r["max"] for r in reloads])))
            print("%-34s edit served after %s s; %s probe requests during "
                  "each reload" % ("", spread([r["served"] for r in reloads]),
                                   "/".join(str(r["requests"]) for r in reloads)))
        print("median [min-max] of %d runs, the sizes in turn; reload wall "
              "time includes the reloader's 50 ms wait for a change to settle; peak RSS of a "
              "reload is the process's, both snapshots alive" % RUNS)
    finally:
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
