"""Socket activation, end to end: the real binary started the way systemd
starts it, with listening sockets already bound at descriptors 3 and 4,
LISTEN_FDS, LISTEN_PID (its own pid: set by a shell that then execs it)
and LISTEN_FDNAMES. Both protocols answer, through the privilege drop;
and a restart on the same sockets, held open by the launcher as systemd
holds them, refuses no connection: one made while no pollux runs waits
in the queue and is answered by the next."""
import fcntl
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (ACCESS_LINE, POLLUX, SANITIZED,  # noqa: E402
                            TIMEOUT, client_context, gemini, gopher,
                            read_until_closed, recv_all, run,
                            write_capsule, written_text)


def listening_socket():
    """Bound to a port the kernel picks: no race with other runs."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


class Activated:
    """pollux started on the launcher's sockets (in order, from 3)."""

    def __init__(self, capsule, certs, socks, names=None, args=()):
        self.tmp = tempfile.mkdtemp(prefix="pollux-act-")
        self.out = open(os.path.join(self.tmp, "stdout"), "w+b")
        self.err = open(os.path.join(self.tmp, "stderr"), "w+b")
        # Copies above the range they are moved to (so that no dup2
        # overwrites one still to be moved), closed on exec; only 3, 4...
        # are left to pollux, as systemd leaves them.
        high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 100)
                for s in socks]

        def place():
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)   # inheritable: without close-on-exec
        env = dict(os.environ, LISTEN_FDS=str(len(socks)))
        env.pop("LISTEN_FDNAMES", None)
        if names:
            env["LISTEN_FDNAMES"] = ":".join(names)
        cmd = [POLLUX, "--capsule", capsule, "--certs", certs,
               "--gemini-port", str(socks[0].getsockname()[1]),
               "--gopher-port", str(socks[1].getsockname()[1]), *args]
        if SANITIZED:
            cmd += ["--chroot", "/"]   # LeakSanitizer needs /proc
        # The shell's $$ is the pid pollux will have: exec keeps it.
        self.proc = subprocess.Popen(
            ["sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh", *cmd],
            stdout=self.out, stderr=self.err, env=env, close_fds=False,
            preexec_fn=place)
        for fd in high:
            os.close(fd)

    def wait_serving(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "pollux: serving " in self.stderr():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("pollux did not start: " + self.stderr())

    def stderr(self):
        return written_text(self.err)

    def access_log(self):
        lines = written_text(self.out).splitlines()
        return [m.groupdict() for m in map(ACCESS_LINE.match, lines) if m]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.final_stderr = self.stderr()
        self.final_log = self.access_log()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


class Activation(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pollux-activation-")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "capsule"))
        self.capsule = write_capsule(os.path.join(self.dir, "capsule"))
        self.certs = os.path.join(self.dir, "certs")
        self.gem, self.gop = listening_socket(), listening_socket()
        self.running = []

    def tearDown(self):
        for p in self.running:
            if p.proc.poll() is None:
                p.stop()
        self.gem.close()
        self.gop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, socks=None, names=None, wait=True):
        p = Activated(self.capsule, self.certs, socks or [self.gem, self.gop],
                      names)
        self.running.append(p)
        if wait:
            p.wait_serving()
        return p

    def ports(self):
        return self.gem.getsockname()[1], self.gop.getsockname()[1]

    def test_both_protocols_on_passed_sockets(self):
        gem, gop = self.ports()
        for names in (None, ["gemini", "gopher"]):
            p = self.start(names=names)
            data, _ = gemini(gem, "gemini://localhost/\r\n")
            self.assertTrue(data.startswith(b"20 text/gemini"), data[:40])
            self.assertIn(b"Test Capsule", gopher(gop, b"/\r\n"))
            self.assertEqual(p.stop(), 0, p.final_stderr)
            self.assertIn("passed by the service manager, for gemini",
                          p.final_stderr)
            self.assertIn("passed by the service manager, for gopher",
                          p.final_stderr)
            if os.geteuid() == 0:   # root: the drop still happens
                self.assertIn("running as nobody", p.final_stderr)
            self.assertEqual({(e["proto"], e["end"]) for e in p.final_log},
                             {("gemini", "done"), ("gopher", "done")})

    def test_names_over_ports(self):
        # Named the other way round from the ports the config gives:
        # the names win.
        gem, gop = self.ports()
        p = self.start(socks=[self.gop, self.gem], names=["gopher", "gemini"])
        data, _ = gemini(gem, "gemini://localhost/\r\n")
        self.assertTrue(data.startswith(b"20 "), data[:40])
        self.assertIn(b"Test Capsule", gopher(gop, b"/\r\n"))
        self.assertEqual(p.stop(), 0, p.final_stderr)

    def test_a_socket_of_neither_is_an_error(self):
        other = listening_socket()
        port = other.getsockname()[1]
        try:
            p = self.start(socks=[self.gem, self.gop, other], wait=False)
            rc = p.proc.wait(timeout=30)
            err = p.stderr()
            p.stop()
        finally:
            other.close()
        self.assertNotEqual(rc, 0)
        self.assertIn("descriptor 5 (127.0.0.1 port %d) is neither Gemini's"
                      % port, err)

    def test_restart_refuses_no_connection(self):
        gem, gop = self.ports()
        first = self.start(names=["gemini", "gopher"])
        self.assertIn(b"Test Capsule", gopher(gop, b"/\r\n"))
        self.assertEqual(first.stop(), 0, first.final_stderr)
        # No pollux runs now. The connections complete in the kernel,
        # queued on the sockets the launcher keeps.
        waiting_gopher = socket.create_connection(("127.0.0.1", gop), TIMEOUT)
        waiting_gopher.sendall(b"/\tqueued\r\n")
        waiting_tls = socket.create_connection(("127.0.0.1", gem), TIMEOUT)
        waiting_tls.settimeout(60)
        result = {}

        def speak():
            try:
                with client_context().wrap_socket(
                        waiting_tls, server_hostname="localhost") as t:
                    t.sendall(b"gemini://localhost/?queued\r\n")
                    result["gemini"] = recv_all(t)
            except (OSError, ssl.SSLError) as e:
                result["gemini"] = repr(e).encode()
        talker = threading.Thread(target=speak)
        talker.start()   # its ClientHello waits in the queue too

        second = self.start(names=["gemini", "gopher"])
        data = read_until_closed(waiting_gopher, 60)
        talker.join(90)
        self.assertIn(b"Test Capsule", data)
        self.assertTrue(result.get("gemini", b"").startswith(b"20 "),
                        result)
        self.assertEqual(second.stop(), 0, second.final_stderr)
        queued = [e for e in second.final_log if "queued" in e["request"]]
        self.assertEqual(sorted((e["proto"], e["end"]) for e in queued),
                         [("gemini", "done"), ("gopher", "done")],
                         second.final_log)


if __name__ == "__main__":
    sys.exit(run(__name__))
