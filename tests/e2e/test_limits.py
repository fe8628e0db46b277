"""pollux at the edges of its resources: descriptors running out, a port
another process holds, a log nobody reads, signals during a stop, log
lines that try to disguise themselves, and the stats line (SIGUSR1) the
other tests read instead of measuring the process from outside."""
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(__file__))
import pollux_harness  # noqa: E402
from pollux_harness import (POLLUX, SANITIZED, Pollux, client_context,  # noqa: E402
                            connect_many, gopher, run, wait_for,
                            write_capsule)

QUIET = ("--request-timeout", "60000", "--handshake-timeout", "60000")


def open_to_all(root):
    """After a privilege drop the server reads the capsule as nobody."""
    os.chmod(root, 0o755)
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)


def new_capsule(title=None):
    root = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
    if title:
        with open(os.path.join(root, "site.yaml"), "w") as f:
            f.write("title: %s\nauthor: Tester\n" % title)
    open_to_all(root)
    return root



def start(capsule, *args, preexec=None, stdout=None):
    """Pollux, with the child's descriptor limit or stdout set by us."""
    real = subprocess.Popen

    def popen(*a, **kw):
        if preexec:
            kw["preexec_fn"] = preexec
        if stdout is not None:
            kw["stdout"] = stdout
        return real(*a, **kw)

    with mock.patch.object(pollux_harness.subprocess, "Popen", popen):
        return Pollux(capsule, *args, ipv6=False)


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lower_descriptor_limit(pid, n):
    """Sets the limit of a running server. Without CAP_SYS_RESOURCE (a
    container) only a process of the same user and group may: after the
    privilege drop that is nobody, so a child becomes nobody to do it."""
    if os.geteuid() != 0:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
        return
    pw = pwd.getpwnam("nobody")
    child = os.fork()
    if child == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("could not lower the server's descriptor limit")


def connect_some(port, n):
    """Up to n idle connections; the server may reset the ones over its cap."""
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), 10))
        except OSError:
            pass
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def stop_within(srv, seconds):
    """SIGTERM; the exit code, or None when it took longer."""
    srv.proc.send_signal(signal.SIGTERM)
    try:
        srv.proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        srv.stop(signal.SIGKILL)
        return None
    return srv.stop()


class Descriptors(unittest.TestCase):
    def setUp(self):
        self.capsule = new_capsule()

    def tearDown(self):
        shutil.rmtree(self.capsule)

    def assert_not_spinning(self, srv):
        """Saturated for two seconds: the server says how often accept
        failed, and its CPU time stays far below what a retry loop uses."""
        before, cpu = srv.stats(), cpu_seconds(srv.proc.pid)
        time.sleep(2)
        after, used = srv.stats(), cpu_seconds(srv.proc.pid) - cpu
        # Back-offs of 100 ms and more: at most 20 a worker in 2 s.
        self.assertLessEqual(after["accept_errors"] - before["accept_errors"],
                             40, (before, after))
        self.assertLess(used, 1.0)
        return after

    def test_limit_below_max_connections(self):
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        # One address opens them all: no per-address cap here.
        srv = start(self.capsule, "--max-connections", "4096",
                    "--max-per-ip", "0", *QUIET, preexec=limit)
        socks = []
        try:
            m = re.search(r"--max-connections 4096 lowered to (\d+)",
                          srv.stderr())
            self.assertTrue(m, srv.stderr())
            cap = int(m.group(1))
            self.assertLess(cap, 256)
            socks = connect_some(srv.gopher_port, 600)
            self.assertTrue(wait_for(
                lambda: srv.stats()["connections"] == cap), srv.stats())
            after = self.assert_not_spinning(srv)
            self.assertEqual(after["connections"], cap)
            close_all(socks)
            self.assertTrue(wait_for(lambda: srv.stats()["connections"] == 0))
            self.assertEqual(gopher(srv.gopher_port, b"/notes/a.txt\r\n"),
                             b"A note.\n")
            socks = connect_some(srv.gopher_port, 600)
            self.assertTrue(wait_for(
                lambda: srv.stats()["connections"] == cap))
            self.assertEqual(stop_within(srv, 10), 0, srv.stderr())
        finally:
            close_all(socks)
            srv.stop(signal.SIGKILL)

    def test_descriptors_run_out_while_serving(self):
        # The cap fits the limit the server started with; taking the limit
        # down under it makes accept fail, as another leak of descriptors
        # or a system-wide shortage would.
        srv = start(self.capsule, *QUIET)
        socks = []
        try:
            self.assertTrue(wait_for(lambda: srv.stats()["connections"] == 0))
            room = srv.open_fds() + 16
            lower_descriptor_limit(srv.proc.pid, room)
            socks = connect_some(srv.gopher_port, 120)
            self.assertTrue(wait_for(
                lambda: "pausing accepts" in srv.stderr()), srv.stderr())
            after = self.assert_not_spinning(srv)
            self.assertLessEqual(after["connections"], 16)
            self.assertGreater(after["accept_errors"], 0)
            close_all(socks)
            socks = []
            self.assertTrue(wait_for(lambda: srv.stats()["connections"] == 0))
            self.assertEqual(gopher(srv.gopher_port, b"/notes/a.txt\r\n"),
                             b"A note.\n")
            socks = connect_some(srv.gopher_port, 120)
            self.assertEqual(stop_within(srv, 10), 0, srv.stderr())
        finally:
            close_all(socks)
            srv.stop(signal.SIGKILL)


class Ports(unittest.TestCase):
    def test_second_instance_is_refused(self):
        first_capsule = new_capsule("First Capsule")
        second_capsule = new_capsule("Second Capsule")
        srv = Pollux(first_capsule, ipv6=False)
        tmp = tempfile.mkdtemp(prefix="pollux-e2e-")
        try:
            cmd = [POLLUX, "--capsule", second_capsule,
                   "--certs", os.path.join(tmp, "certs"),
                   "--listen", "127.0.0.1",
                   "--gemini-port", str(srv.gemini_port),
                   "--gopher-port", str(srv.gopher_port)]
            if SANITIZED:
                cmd += ["--chroot", "/"]
            try:
                r = subprocess.run(cmd, capture_output=True, timeout=20)
            except subprocess.TimeoutExpired:
                self.fail("the second instance started on the same ports")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertRegex(r.stderr.decode(), r"port (%d|%d)\b.*another "
                             "process" % (srv.gemini_port, srv.gopher_port))
            for _ in range(20):
                self.assertIn(b"First Capsule", gopher(srv.gopher_port, b"\r\n"))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())
            for d in (first_capsule, second_capsule, tmp):
                shutil.rmtree(d)


class Logging(unittest.TestCase):
    def setUp(self):
        self.capsule = new_capsule()
        self.r, self.w = os.pipe()

    def tearDown(self):
        os.close(self.r)
        shutil.rmtree(self.capsule)

    def start_on_pipe(self):
        srv = start(self.capsule, stdout=self.w)
        os.close(self.w)   # the server's copy is the only writer
        return srv

    def request(self, srv, i):
        # Long selectors: a few thousand lines are megabytes of log.
        sel = b"/missing-%d-" % i + b"x" * 400
        data = gopher(srv.gopher_port, sel + b"\r\n")
        self.assertTrue(data.startswith(b"3") and data.endswith(b".\r\n"),
                        (i, data[:100]))

    def test_blocked_stdout_does_not_stall(self):
        srv = self.start_on_pipe()
        try:
            for i in range(3000):
                self.request(srv, i)
            self.assertGreater(srv.stats()["log_dropped"], 0)
            self.assertEqual(stop_within(srv, 10), 0, srv.stderr())
        finally:
            srv.stop(signal.SIGKILL)

    def test_drops_are_reported_in_the_log(self):
        srv = self.start_on_pipe()
        out = bytearray()
        reader = None
        try:
            i = 0
            while srv.stats()["log_dropped"] == 0 and i < 10000:
                for _ in range(200):
                    self.request(srv, i)
                    i += 1
            self.assertGreater(srv.stats()["log_dropped"], 0)

            def drain():
                while True:
                    chunk = os.read(self.r, 65536)
                    if not chunk:
                        return
                    out.extend(chunk)
            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            # Once a line made after the drops is out, every drop before
            # it has been reported ahead of it.
            marker = b"/after-the-drops"
            self.assertTrue(wait_for(
                lambda: gopher(srv.gopher_port, marker + b"\r\n") and
                marker in bytes(out)))
            dropped = srv.stats()["log_dropped"]
            before = bytes(out)[:bytes(out).index(marker)]
            reported = [int(n) for n in re.findall(
                rb"^pollux: (\d+) access-log lines? dropped$", before, re.M)]
            self.assertTrue(reported)
            self.assertEqual(sum(reported), dropped)
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop(signal.SIGKILL)
            if reader:
                reader.join(10)


class Escaping(unittest.TestCase):
    def test_access_log_escapes_disguising_characters(self):
        capsule = new_capsule()
        srv = Pollux(capsule, ipv6=False)
        try:
            # Raw bytes in a Gopher selector reach the log as they came.
            sel = ("/esc\u0085a\u2028b\u2029c\u202ed\u200ee\ufeff"
                   "f\u2066g\u00e9h").encode() + b"\xff\x01\"\\\xe2\x80"
            gopher(srv.gopher_port, sel + b"\r\n")
            self.assertTrue(wait_for(lambda: "/esc" in srv.stdout()))
            log = srv.stdout()
            self.assertIn('"/esc\\u0085a\\u2028b\\u2029c\\u202Ed\\u200Ee'
                          '\\uFEFFf\\u2066g\u00e9h\\xFF\\x01\\x22\\x5C'
                          '\\xE2\\x80"\n', log)
            for ch in "\u0085\u2028\u2029\u202e\u200e\ufeff\u2066":
                self.assertNotIn(ch, log)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())
            shutil.rmtree(capsule)


class Signals(unittest.TestCase):
    def setUp(self):
        self.capsule = new_capsule()

    def tearDown(self):
        shutil.rmtree(self.capsule)

    def test_sighup_while_stopping(self):
        srv = Pollux(self.capsule, ipv6=False)
        want = open(os.path.join(self.capsule, "big.bin"), "rb").read()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", srv.gopher_port))
            # Not reading keeps the reply queued: the stop has to wait.
            s.sendall(b"/big.bin\r\n")
            data = s.recv(1000)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(lambda: "stopping" in srv.stderr()))
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(
                lambda: "reload ignored" in srv.stderr() or
                srv.proc.poll() is not None))
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertEqual(len(data), len(want))
            self.assertEqual(data, want)
        finally:
            s.close()
            self.assertEqual(srv.stop(), 0, srv.stderr())


class Stats(unittest.TestCase):
    def setUp(self):
        self.capsule = new_capsule()
        self.srv = Pollux(self.capsule, ipv6=False)

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.capsule)
        self.assertEqual(rc, 0, self.srv.stderr())

    def test_idle(self):
        self.assertTrue(wait_for(
            lambda: self.srv.stats() == {"connections": 0, "snapshots": 1,
                                         "held": 0, "accept_errors": 0,
                                         "log_dropped": 0, "clients": 0,
                                         "refused": 0, "rate_limited": 0,
                                         "tls_sessions": 0}),
            self.srv.stats())

    def test_connections_come_and_go(self):
        socks = connect_many(self.srv.gopher_port, 10)
        socks += connect_many(self.srv.gemini_port, 10)
        try:
            self.assertTrue(wait_for(
                lambda: self.srv.stats()["connections"] == 20))
        finally:
            close_all(socks)
        self.assertTrue(wait_for(
            lambda: self.srv.stats()["connections"] == 0), self.srv.stats())
        self.assertEqual(self.srv.stats()["snapshots"], 1)

    def test_held_while_a_client_does_not_read(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.gemini_port))
        with client_context().wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(b"gemini://localhost/big.bin\r\n")
            t.recv(100)
            # Ciphertext waits in the server until the client reads; the
            # server holds at most four records of it (about 64 KiB) and
            # the connection's own few KiB.
            self.assertTrue(wait_for(
                lambda: self.srv.stats()["held"] > 64 << 10))
            self.assertLess(self.srv.stats()["held"], 80 << 10)
            while t.recv(65536):
                pass
        self.assertTrue(wait_for(
            lambda: self.srv.stats()["connections"] == 0))
        self.assertEqual(self.srv.stats()["held"], 0)


if __name__ == "__main__":
    sys.exit(run(__name__))
