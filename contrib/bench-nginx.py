#!/usr/bin/env python3
"""make bench's comparison with nginx's stream module answering every
connection with a fixed `return` of the same bytes (no parsing, no lookup:
the ceiling on this OpenSSL and this kernel). Both run one worker, with the
same certificate, nginx with its defaults. Each load runs in interleaved
rounds (pollux, nginx, nginx, pollux, ...); the ratios of each round are
shown as their median and [min-max]. Then the system calls behind one
Gopher request, and the writes behind one Gemini connection.

    bench-nginx.py POLLUX GEMLOAD"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (fetch, free_port, gemload, nginx_conf, same_bytes,
                      spread, wait_port)

SECONDS = os.environ.get("BENCH_SECONDS", "3")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SYSCALL_REQUESTS = 20000


def count_syscalls(pid, run):
    """(total, per-syscall counts) of pid's threads while run() runs:
    perf's tracepoint for the total (it hardly slows the server), strace
    for the breakdown (it does, so batching hides some epoll_waits)."""
    total = None
    if shutil.which("perf"):
        out = tempfile.mktemp()
        perf = subprocess.Popen(["perf", "stat", "-e", "raw_syscalls:sys_enter",
                                 "-p", str(pid), "-o", out],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        run()
        time.sleep(0.3)
        perf.send_signal(signal.SIGINT)
        perf.wait(30)
        m = re.search(r"([\d,]+)\s+raw_syscalls:sys_enter", open(out).read())
        os.unlink(out)
        if m:
            total = int(m.group(1).replace(",", ""))
    calls = {}
    if shutil.which("strace"):
        out = tempfile.mktemp()
        strace = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o",
                                   out], stderr=subprocess.DEVNULL)
        time.sleep(1)
        run()
        time.sleep(0.3)
        strace.send_signal(signal.SIGINT)
        strace.wait(30)
        for line in open(out):
            f = line.split()
            if (len(f) >= 5 and f[-1].isidentifier() and f[3].isdigit()
                    and f[-1] != "total"):
                calls[f[-1]] = int(f[3])
        os.unlink(out)
    return total, calls


def count_writes(pid, run, log_fd=None):
    """Writes to sockets while run() runs: lines of strace's log for
    write, writev, sendmsg and sendto, less those to the access log."""
    if not shutil.which("strace"):
        return None
    out = tempfile.mktemp()
    strace = subprocess.Popen(["strace", "-f", "-qq", "-e",
                               "trace=write,writev,sendmsg,sendto", "-p",
                               str(pid), "-o", out], stderr=subprocess.DEVNULL)
    time.sleep(1)
    run()
    time.sleep(0.3)
    strace.send_signal(signal.SIGINT)
    strace.wait(30)
    n = 0
    for line in open(out):
        m = re.search(r"\b(write|writev|sendmsg|sendto)\((\d+),", line)
        if m and int(m.group(2)) not in (1, 2, log_fd):
            n += 1
    os.unlink(out)
    return n


def main():
    pollux_bin, load = sys.argv[1], sys.argv[2]
    if not shutil.which("nginx") or not os.path.exists(
            "/usr/lib/nginx/modules/ngx_stream_module.so"):
        print("nginx with the stream module is not installed (Debian: "
              "nginx libnginx-mod-stream): no comparison")
        return 0
    tmp = tempfile.mkdtemp(prefix="pollux-nginx-")
    os.chmod(tmp, 0o755)
    procs = []
    try:
        certs = os.path.join(tmp, "certs")
        ports = {k: free_port() for k in ("pg", "pp", "ng", "np")}
        pollux = subprocess.Popen(
            [pollux_bin, "--capsule", "capsule", "--listen", "127.0.0.1",
             "--gemini-port", str(ports["pg"]), "--gopher-port",
             str(ports["pp"]), "--certs", certs, "--chroot", "/",
             "--workers", "1", "--max-per-ip", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(pollux)
        wait_port(ports["pg"], pollux)
        cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
        os.chmod(certs, 0o755)
        os.chmod(key, 0o644)   # a throwaway key nginx's user must read

        # nginx returns what pollux answers on the wire, byte for byte.
        home = fetch(ports["pg"], b"gemini://localhost/\r\n", tls=True)
        menu = fetch(ports["pp"], b"\r\n")
        nginx = subprocess.Popen(nginx_conf(tmp, 1, ports["ng"], ports["np"],
                                            cert, key, home, menu),
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        procs.append(nginx)
        wait_port(ports["ng"], nginx)
        if not same_bytes(ports["ng"], ports["np"], home, menu):
            print("nginx does not return pollux's bytes: no comparison")
            return 1
        print("the same bytes from both: gemini home %d, gopher menu %d"
              % (len(home), len(menu)))
        time.sleep(0.5)
        worker = int(subprocess.run(["pgrep", "-P", str(nginx.pid)],
                                    capture_output=True, text=True)
                     .stdout.split()[0])
        servers = {"pollux": (pollux.pid, ports["pg"], ports["pp"]),
                   "nginx": (worker, ports["ng"], ports["np"])}

        def url(name, kind):
            _, gem, goph = servers[name]
            return ("gemini://localhost:%d/" % gem if kind == "gemini"
                    else "gopher://localhost:%d/1/" % goph)

        loads = []
        for c in (1, 16, 64):
            loads.append(("gemini home, full", "gemini", c, False))
            loads.append(("gemini home, resumed", "gemini", c, True))
            loads.append(("gopher root menu", "gopher", c, False))
        # Both warm: keys, caches, the allocator.
        for name in servers:
            gemload(load, url(name, "gemini"), 4, requests=200)
            gemload(load, url(name, "gopher"), 4, requests=2000)

        print("%-22s %5s %8s %8s %-19s %7s %7s %-19s %7s %7s" % (
            "load", "conns", "rps", "nginx", "rps ratio", "cpu_us", "nginx",
            "cpu ratio", "p99_ms", "nginx"))
        for title, kind, c, resume in loads:
            rows = {"pollux": [], "nginx": []}
            for r in range(ROUNDS):
                order = ("pollux", "nginx") if r % 2 == 0 else ("nginx", "pollux")
                for name in order:
                    rows[name].append(gemload(load, url(name, kind), c,
                                              servers[name][0], resume))
            rps = [p["rps"] / max(n["rps"], 1)
                   for p, n in zip(rows["pollux"], rows["nginx"])]
            cpu = [p["cpu_us_per_req"] / n["cpu_us_per_req"]
                   for p, n in zip(rows["pollux"], rows["nginx"])
                   if n["cpu_us_per_req"] > 0]

            def med(name, key):
                return statistics.median(x[key] for x in rows[name])
            errors = sum(x.get("errors", 0) for rs in rows.values() for x in rs)
            print("%-22s %5d %8.0f %8.0f %-19s %7.0f %7.0f %-19s %7.2f %7.2f%s"
                  % (title, c, med("pollux", "rps"), med("nginx", "rps"),
                     spread(rps), med("pollux", "cpu_us_per_req"),
                     med("nginx", "cpu_us_per_req"), spread(cpu) if cpu else "n/a",
                     med("pollux", "p99_ms"), med("nginx", "p99_ms"),
                     "  errors: %d" % errors if errors else ""))
            sys.stdout.flush()
        print("rps ratio > 1: pollux serves more; cpu ratio < 1: pollux "
              "spends less; median [min-max] of %d rounds of %s s"
              % (ROUNDS, SECONDS))

        print("\nsystem calls per Gopher request (%d requests, 16 "
              "connections; total from perf, breakdown from strace):"
              % SYSCALL_REQUESTS)
        for name in servers:
            total, calls = count_syscalls(servers[name][0], lambda: gemload(
                load, url(name, "gopher"), 16, requests=SYSCALL_REQUESTS))
            parts = ", ".join("%s %.2f" % (k, v / SYSCALL_REQUESTS) for k, v in
                              sorted(calls.items(), key=lambda kv: -kv[1])
                              if v / SYSCALL_REQUESTS >= 0.005)
            print("  %-7s %s  (%s)" % (
                name, "%.2f" % (total / SYSCALL_REQUESTS) if total else "n/a",
                parts or "strace not installed"))
        print("\nwrites per Gemini connection (2000 connections, 16 at once):")
        for resume in (False, True):
            for name in servers:
                n = count_writes(servers[name][0], lambda: gemload(
                    load, url(name, "gemini"), 16, resume=resume,
                    requests=2000))
                print("  %-7s %-8s %s" % (name, "resumed" if resume else "full",
                                          "%.2f" % (n / 2000) if n is not None
                                          else "n/a (strace not installed)"))
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
            except Exception:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
