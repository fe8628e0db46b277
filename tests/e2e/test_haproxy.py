"""The cluster recipe, end to end: real HAProxy running contrib/haproxy.cfg
(its addresses and ports replaced by loopback ones) in front of two pollux
instances with one certificate and one ticket key. Readers see one
certificate, resume on one instance a session the other began, are named
in both access logs by their own address, and are all answered when an
instance dies. Every wait is on the access logs, HAProxy's stats socket
or a request succeeding."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (TIMEOUT, Pollux, client_context,  # noqa: E402
                            free_port, gemini_resuming, read_until_closed,
                            recv_all, run, wait_for, write_capsule,
                            written_text)

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(HERE, "..", "..", "contrib", "haproxy.cfg")
CLIENT = "127.0.0.2"   # the reader's address, not HAProxy's


def make_cert(folder):
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def for_nobody(*paths):
    """Readable by the user a server started as root becomes (it reads
    them again on SIGHUP), and by no one else."""
    for p in paths:
        os.chmod(p, 0o600)
        if os.getuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(p, nobody.pw_uid, nobody.pw_gid)


def substitute(text, old, new):
    """Replaces old (a regular expression) and insists it was there: the
    recipe changed otherwise, and so must this test."""
    out, n = re.subn(old, new, text, flags=re.M)
    if n == 0:
        raise AssertionError("contrib/haproxy.cfg has no %r" % old)
    return out


def recipe(gemini, gopher, a, b, stats):
    with open(RECIPE) as f:
        text = f.read()
    text = substitute(text, r"^(\s*bind) :1965$", r"\1 127.0.0.1:%d" % gemini)
    text = substitute(text, r"^(\s*bind) :70$", r"\1 127.0.0.1:%d" % gopher)
    text = substitute(text, r"^(\s*server a) 10\.0\.0\.11:1965$",
                      r"\1 127.0.0.1:%d" % a.gemini_port)
    text = substitute(text, r"^(\s*server b) 10\.0\.0\.12:1965$",
                      r"\1 127.0.0.1:%d" % b.gemini_port)
    text = substitute(text, r"^(\s*server a) 10\.0\.0\.11:70$",
                      r"\1 127.0.0.1:%d" % a.gopher_port)
    text = substitute(text, r"^(\s*server b) 10\.0\.0\.12:70$",
                      r"\1 127.0.0.1:%d" % b.gopher_port)
    text = substitute(text, r"/run/haproxy/admin\.sock", stats)
    text = substitute(text, r"example\.org", "localhost")
    return text


class HAProxy:
    def __init__(self, folder, a, b):
        if not shutil.which("haproxy"):
            raise AssertionError("haproxy is not installed "
                                 "(contrib/install-deps.sh installs it)")
        self.stats_path = os.path.join(folder, "haproxy.sock")
        self.log = open(os.path.join(folder, "haproxy.log"), "w+b")
        # Ports free a moment ago may be taken by a run beside this one:
        # HAProxy then exits at once, and starts again on others.
        for attempt in range(5):
            self.gemini_port, self.gopher_port = free_port(), free_port()
            cfg = os.path.join(folder, "haproxy.cfg")
            with open(cfg, "w") as f:
                f.write(recipe(self.gemini_port, self.gopher_port, a, b,
                               self.stats_path))
            subprocess.run(["haproxy", "-c", "-q", "-f", cfg], check=True)
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen(["haproxy", "-f", cfg, "-db"],
                                         stdout=self.log, stderr=self.log)
            if wait_for(lambda: self.proc.poll() is not None or
                        os.path.exists(self.stats_path)) and \
                    self.proc.poll() is None:
                return
            self.proc.wait()
        raise AssertionError("haproxy did not start: " + self.output())

    def output(self):
        return written_text(self.log)

    def servers(self):
        """{(backend, server): (status, check_status)} from `show stat`."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(TIMEOUT)
            s.connect(self.stats_path)
            s.sendall(b"show stat\n")
            data = read_until_closed(s, TIMEOUT)
        lines = data.decode().splitlines()
        head = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(head, line.split(",")))
            if row.get("svname") in ("a", "b"):
                out[(row["pxname"], row["svname"])] = (row["status"],
                                                      row["check_status"])
        return out

    def wait_servers(self, want):
        """Until every server of both backends is in state want[name],
        seen by a health check (L7OK: the check's page came)."""
        def ok():
            s = self.servers()
            return len(s) == 4 and all(
                st == want[sv] and (st != "UP" or chk == "L7OK")
                for (px, sv), (st, chk) in s.items())
        if not wait_for(ok, timeout=60):
            raise AssertionError("servers not %r: %r\n%s" %
                                 (want, self.servers(), self.output()))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def gemini_via(port, request, session=None):
    """A Gemini request from CLIENT; returns (response, peer certificate,
    session reused, session for the next)."""
    data, reused, session, cert = gemini_resuming(
        port, request, session, gemini_via.ctx, CLIENT)
    return data, cert, reused, session


gemini_via.ctx = client_context()


def gopher_via(port, selector):
    with socket.create_connection(("127.0.0.1", port), TIMEOUT,
                                  source_address=(CLIENT, 0)) as s:
        s.sendall(selector.encode() + b"\r\n")
        return recv_all(s)


class Cluster(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pollux-haproxy-")
        os.chmod(self.dir, 0o755)
        self.capsules = []
        for name in ("a", "b"):   # the same content, kept apart
            path = os.path.join(self.dir, name)
            os.mkdir(path)
            self.capsules.append(write_capsule(path))
        self.cert, self.key = make_cert(self.dir)
        self.ticket = os.path.join(self.dir, "ticket.key")
        with open(self.ticket, "wb") as f:
            f.write(os.urandom(80))
        for_nobody(self.key, self.ticket)
        args = ("--cert", self.cert, "--key", self.key, "--ticket-key",
                self.ticket, "--proxy-protocol", "--trusted-proxy",
                "127.0.0.1", "--hostname", "localhost")
        self.a = Pollux(self.capsules[0], *args, ipv6=False, chroot="/")
        self.b = Pollux(self.capsules[1], *args, ipv6=False, chroot="/")
        self.lb = HAProxy(self.dir, self.a, self.b)
        self.lb.wait_servers({"a": "UP", "b": "UP"})

    def tearDown(self):
        self.lb.stop()
        self.a.stop()
        self.b.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def served(self, srv, mark):
        """The access lines of srv for requests carrying mark."""
        return [e for e in srv.access_log() if mark in e["request"]]

    def test_one_certificate_and_the_readers_address(self):
        with open(self.cert) as f:
            want = ssl.PEM_cert_to_DER_cert(f.read())
        for i in range(12):
            data, cert, _, _ = gemini_via(self.lb.gemini_port,
                                          "gemini://localhost/?cert%d\r\n" % i)
            self.assertTrue(data.startswith(b"20 "), data[:40])
            self.assertEqual(cert, want)
            self.assertIn(b"Test Capsule",
                          gopher_via(self.lb.gopher_port, "/\tcert%d" % i))
        # Both instances served, and both name the reader, not HAProxy.
        for srv in (self.a, self.b):
            for proto in ("gemini", "gopher"):
                def lines():
                    return [e for e in self.served(srv, "cert")
                            if e["proto"] == proto]
                self.assertTrue(wait_for(lambda: lines()), srv.stdout())
                self.assertEqual({e["client"] for e in lines()}, {CLIENT},
                                 srv.stdout())
        total = sum(len(self.served(s, "cert")) for s in (self.a, self.b))
        self.assertTrue(wait_for(lambda: sum(
            len(self.served(s, "cert")) for s in (self.a, self.b)) == 24),
            (total, self.a.stdout(), self.b.stdout()))

    def test_a_session_resumes_on_the_other_instance(self):
        session = None
        where = []
        for i in range(8):
            mark = "resume%d" % i
            data, _, reused, session = gemini_via(
                self.lb.gemini_port, "gemini://localhost/?%s\r\n" % mark,
                session)
            self.assertTrue(data.startswith(b"20 "), data[:40])
            if i:
                self.assertTrue(reused, "connection %d: a full handshake" % i)
            def who():
                return [n for n, s in (("a", self.a), ("b", self.b))
                        if self.served(s, mark)]
            self.assertTrue(wait_for(lambda: who()))
            where.append(who()[0])
        # Round robin: the session of one instance was taken up by the
        # other, again and again.
        self.assertTrue(any(x != y for x, y in zip(where, where[1:])), where)

    def test_every_request_answered_with_one_instance_killed(self):
        self.b.proc.send_signal(signal.SIGKILL)
        self.b.proc.wait()
        # Before the checks notice, refused connections are retried on a;
        # after, b is out.
        def ten_of_each(mark):
            for i in range(10):
                data, _, _, _ = gemini_via(
                    self.lb.gemini_port,
                    "gemini://localhost/?%s%d\r\n" % (mark, i))
                self.assertTrue(data.startswith(b"20 "), (i, data[:40]))
                self.assertIn(b"Test Capsule", gopher_via(
                    self.lb.gopher_port, "/\t%s%d" % (mark, i)))
        ten_of_each("down")
        self.lb.wait_servers({"a": "UP", "b": "DOWN"})
        ten_of_each("after")
        self.assertTrue(wait_for(
            lambda: len(self.served(self.a, "after")) == 20), self.a.stdout())
        self.assertTrue(wait_for(
            lambda: len(self.served(self.a, "down")) == 20), self.a.stdout())


if __name__ == "__main__":
    sys.exit(run(__name__))
