"""Starts the real pollux binary on free loopback ports for the end-to-end
tests, with a capsule written into a temporary folder, and talks to it with
real clients: Python's ssl module for Gemini, raw sockets and curl for
Gopher. Every socket has a timeout, so a broken server fails a test
instead of hanging it."""
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
import unittest

POLLUX = os.environ.get("POLLUX", "./pollux")
# LeakSanitizer reads /proc at exit, which a chroot into the capsule hides:
# sanitizer runs keep / as their root (the drop to nobody still happens).
SANITIZED = os.environ.get("POLLUX_SANITIZED") == "1"
TIMEOUT = 10

POST = """---
title: "{title}"
summary: "{summary}"
date: {date}
tags: [{tags}]
---
{body}
"""


# TIME PROTO CLIENT STATUS BYTES MSms END "REQUEST"
ACCESS_LINE = re.compile(
    r'^(?P<time>\S+) (?P<proto>gemini|gopher) (?P<client>\S+) '
    r'(?P<status>\S+) (?P<bytes>\d+) (?P<ms>[\d.]+)ms (?P<end>\w+) '
    r'"(?P<request>.*)"$')


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_capsule(root):
    """A small capsule with every kind of content the servers handle,
    readable by the user a server started as root becomes."""
    os.chmod(root, 0o755)   # mkdtemp makes it 0700
    def put(rel, data):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
    put("site.yaml", "title: Test Capsule\nauthor: Tester\n"
        "description: A capsule for tests.\nlanguage: en\n")
    put("index.md", "Welcome to the *test* capsule.\n")
    put("posts/2026-03-28-radar.md", POST.format(
        title="Radar post", summary="About radar.", date="2026-03-28",
        tags="iot, esp32", body="Radar body with a [link](https://example.org/).\n"))
    put("posts/2025-08-01-payments.md", POST.format(
        title="Payments post", summary="About payments.", date="2025-08-01",
        tags="django, payments", body="See [radar](2026-03-28-radar.md).\n"))
    put("posts/draft.md", "---\ntitle: Draft\ndate: 2026-01-01\ndraft: true\n"
        "---\nSecret draft\n")
    put("images/x.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    put("notes/a.txt", "A note.\n")
    put(".secret", "dotfile content\n")
    put("big.bin", os.urandom(5 * 1024 * 1024))
    return root


class Pollux:
    """One running server; stop() returns its exit code."""

    def __init__(self, capsule, *args, ipv6=True, chroot_capsule=False,
                 chroot=None):
        self.tmp = tempfile.mkdtemp(prefix="pollux-e2e-")
        self.out = open(os.path.join(self.tmp, "stdout"), "w+b")
        self.err = open(os.path.join(self.tmp, "stderr"), "w+b")
        # free_port() only finds a port free a moment ago: another test
        # run beside this one may take it first, and pollux refuses a port
        # another process holds. Then start again on other ports.
        for attempt in range(5):
            if self._start(capsule, args, ipv6, chroot_capsule, chroot):
                return
        raise RuntimeError("pollux exited: " + self.stderr())

    def _start(self, capsule, args, ipv6, chroot_capsule, chroot):
        self.gemini_port = free_port()
        self.gopher_port = free_port()
        listen = ["--listen", "127.0.0.1"] + (["--listen", "::1"] if ipv6 else [])
        cmd = [POLLUX, "--capsule", capsule, "--certs",
               os.path.join(self.tmp, "certs"),
               "--gemini-port", str(self.gemini_port),
               "--gopher-port", str(self.gopher_port), *listen, *args]
        if chroot:
            cmd += ["--chroot", chroot]
        env = dict(os.environ)
        if SANITIZED and (chroot_capsule or chroot):
            # A real chroot hides /proc from LeakSanitizer.
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        elif SANITIZED:
            cmd += ["--chroot", "/"]
        for f in (self.out, self.err):
            f.seek(0)
            f.truncate()
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err,
                                     env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "Address already in use" in self.stderr():
                    return False
                raise RuntimeError("pollux exited: " + self.stderr())
            # Said once the ports are ours and the capsule is loaded; a
            # probe connection could reach another process on the port.
            if "pollux: serving " in self.stderr():
                return True
            time.sleep(0.05)
        raise RuntimeError("pollux did not start: " + self.stderr())

    def stdout(self):
        return written_text(self.out)

    def stderr(self):
        if self.err.closed:
            return self.final_stderr
        return written_text(self.err)

    def access_log(self):
        """The access log so far, one dict a line: time, proto, client,
        status, bytes (int), ms (float), end, request (as escaped)."""
        entries = []
        for line in self.stdout().splitlines():
            m = ACCESS_LINE.match(line)
            if m:
                e = m.groupdict()
                e["bytes"] = int(e["bytes"])
                e["ms"] = float(e["ms"])
                entries.append(e)
        return entries

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def stats(self):
        """Sends SIGUSR1 and returns the dict of the next stats line on stderr."""
        prefix = "pollux: stats: "

        def lines():
            text = self.stderr()
            text = text[:text.rfind("\n") + 1]   # whole lines only
            return [l for l in text.splitlines() if l.startswith(prefix)]

        seen = len(lines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = lines()
            if len(found) > seen:
                fields = found[seen][len(prefix):].split()
                return {k: int(v) for k, v in
                        (f.split("=", 1) for f in fields)}
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError("no stats line after SIGUSR1: " +
                             self.stderr()[-500:])

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.final_stderr = self.stderr()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


def wait_for(pred, timeout=20):
    """True once pred() is; False after timeout seconds (generous: the
    machine may be loaded, and a test waits only as long as it must)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def wait_for_stats(srv, timeout=TIMEOUT, **want):
    """True once the server's stats line shows every key=value of want."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = srv.stats()
        if all(stats[k] == v for k, v in want.items()):
            return True
        time.sleep(0.1)
    return False


def client_context(minimum=None, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


def gemini(port, request, host="127.0.0.1", sni="localhost", ctx=None):
    """Sends request (str or bytes, sent as given) and reads to the end.
    Returns (response bytes, clean): clean is True when the server ended
    with a TLS close_notify rather than just closing the socket."""
    ctx = ctx or client_context()
    raw = request.encode() if isinstance(request, str) else request
    with socket.create_connection((host, port), TIMEOUT) as s:
        with ctx.wrap_socket(s, server_hostname=sni,
                             suppress_ragged_eofs=False) as t:
            t.sendall(raw)
            data = b""
            while True:
                try:
                    chunk = t.recv(65536)
                except ssl.SSLEOFError:
                    return data, False
                if not chunk:
                    return data, True
                data += chunk


def gemini_resuming(port, request, session=None, ctx=None, source=None):
    """One Gemini request offering session (from an earlier connection on
    the same ctx), sent from the address source if given. Returns
    (response bytes, whether the session was resumed, the session to
    offer next, the server's certificate in DER)."""
    ctx = ctx or client_context()
    with socket.create_connection(
            ("127.0.0.1", port), TIMEOUT,
            source_address=(source, 0) if source else None) as s:
        with ctx.wrap_socket(s, server_hostname="localhost",
                             session=session) as t:
            t.sendall(request.encode())
            return (recv_all(t), t.session_reused, t.session,
                    t.getpeercert(binary_form=True))


def gemini_half_close(port, raw, sni="localhost"):
    """Sends raw, then ends the TCP stream, without a CRLF ever arriving."""
    ctx = client_context()
    with socket.create_connection(("127.0.0.1", port), TIMEOUT) as s:
        with ctx.wrap_socket(s, server_hostname=sni) as t:
            t.sendall(raw)
            # The plain socket's shutdown: SSLSocket's would drop TLS.
            socket.socket.shutdown(t, socket.SHUT_WR)
            data = b""
            while True:
                try:
                    chunk = t.recv(65536)
                except ssl.SSLError:
                    return data
                if not chunk:
                    return data
                data += chunk


def gopher(port, raw, host="127.0.0.1"):
    """Sends raw bytes on a plain socket and reads until the server closes."""
    with socket.create_connection((host, port), TIMEOUT) as s:
        s.sendall(raw)
        return recv_all(s)


def connect_many(port, n):
    """n plain connections that send nothing."""
    return [socket.create_connection(("127.0.0.1", port), TIMEOUT)
            for _ in range(n)]


def written_text(f):
    """What a process has written so far to f, a file of ours."""
    f.flush()
    with open(f.name, "rb") as r:
        return r.read().decode("utf-8", "replace")


def recv_all(sock, resets_close=False):
    """Everything the server sends on sock (plain or TLS) before it
    closes, or before it resets when resets_close; sock stays open."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if not resets_close:
                raise
            chunk = b""
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_until_closed(sock, timeout=5):
    """Everything the server sends before it closes; a reset counts as a
    close. Closes sock."""
    sock.settimeout(timeout)
    data = recv_all(sock, resets_close=True)
    sock.close()
    return data


def connect_and_read(port):
    """Connects and reads until the server closes. A connection reset while
    connecting (the server closed it at once) reads as nothing."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
    except ConnectionResetError:
        return b""
    return read_until_closed(sock)


def run(module_name):
    """unittest, ending with the line tests/run.sh reads."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules[module_name])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    return 1 if failed else 0
