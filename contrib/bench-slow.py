#!/usr/bin/env python3
"""make bench's slow readers: 50 clients ask pollux for a 20 MB file and
stop reading after the first kilobyte; the server's RSS before, while they
hang on and after they have gone, beside what it says it holds for
connections (the stats line's held). RSS is the kernel's view: allocator
and sanitizer habits show in it, which is why the tests read held.

    bench-slow.py POLLUX"""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

READERS = 50


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def held(proc, err):
    """held= of a fresh stats line (SIGUSR1)."""
    seen = open(err).read().count("stats:")
    proc.send_signal(signal.SIGUSR1)
    for _ in range(200):
        lines = re.findall(r"stats: .*held=(\d+)", open(err).read())
        if len(lines) > seen:
            return int(lines[-1])
        time.sleep(0.02)
    return -1


def main():
    pollux_bin = sys.argv[1]
    root = tempfile.mkdtemp(prefix="pollux-slow-")
    os.chmod(root, 0o755)
    proc = None
    try:
        capsule = os.path.join(root, "capsule")
        os.makedirs(capsule)
        open(os.path.join(capsule, "site.yaml"), "w").write("title: Slow\n")
        with open(os.path.join(capsule, "twenty.bin"), "wb") as f:
            f.write(os.urandom(20 << 20))
        gem, goph = free_port(), free_port()
        err = os.path.join(root, "stderr")
        proc = subprocess.Popen(
            [pollux_bin, "--capsule", capsule, "--listen", "127.0.0.1",
             "--gemini-port", str(gem), "--gopher-port", str(goph),
             "--certs", os.path.join(root, "certs"), "--chroot", "/"],
            stdout=subprocess.DEVNULL, stderr=open(err, "w"))
        for _ in range(300):
            if "serving " in open(err).read():
                break
            time.sleep(0.1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for proto in ("gemini", "gopher"):
            before = rss(proc.pid)
            socks = []
            for _ in range(READERS):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", gem if proto == "gemini" else goph))
                if proto == "gemini":
                    s = ctx.wrap_socket(s, server_hostname="localhost")
                    s.sendall(b"gemini://localhost/twenty.bin\r\n")
                else:
                    s.sendall(b"/twenty.bin\r\n")
                s.recv(1000)
                socks.append(s)
            time.sleep(2)
            during, held_during = rss(proc.pid), held(proc, err)
            for s in socks:
                s.close()
            time.sleep(2.5)   # an idle worker trims its heap after 1 s
            after, held_after = rss(proc.pid), held(proc, err)
            print("%s: %d readers of a 20 MB file that stop: RSS %.1f MiB, "
                  "%+.1f MiB while they hang on (held %.1f MiB), %+.1f MiB "
                  "after (held %d)" % (proto, READERS, before / 1024,
                                       (during - before) / 1024,
                                       held_during / 1048576,
                                       (after - before) / 1024, held_after))
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
