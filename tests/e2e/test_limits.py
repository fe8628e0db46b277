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
                            connect_many, gopher, run, write_capsule)

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


def wait_for(pred, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


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


if __name__ == "__main__":
    sys.exit(run(__name__))
