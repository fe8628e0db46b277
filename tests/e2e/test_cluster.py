"""Several instances behind a TCP load balancer, end to end: the PROXY
header (v1 and v2, on Gemini and Gopher) names the client the access log
and the per-address limits see; a connection without a valid header, or
from a peer not trusted, is closed. Every check reads the access log or
the stats line."""
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import ssl
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (TIMEOUT, Pollux, client_context,  # noqa: E402
                            gemini_resuming, read_until_closed, run,
                            wait_for_stats, write_capsule)

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst="127.0.0.1", sport=40000, dport=1965):
    fam = "TCP6" if ":" in src else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (fam, src, dst, sport, dport)).encode()


def v2(src, dst=None, sport=40000, dport=1965, local=False):
    if local:
        return V2_SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    a = ipaddress.ip_address(src)
    if a.version == 4:
        d = ipaddress.ip_address(dst or "127.0.0.1")
        body = a.packed + d.packed + struct.pack("!HH", sport, dport)
        fam = 0x11
    else:
        d = ipaddress.ip_address(dst or "::1")
        body = a.packed + d.packed + struct.pack("!HH", sport, dport)
        fam = 0x21
    # A TLV the server must skip: PP2_TYPE_NOOP with three bytes.
    body += bytes([0x04, 0x00, 0x03]) + b"abc"
    return V2_SIG + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body


def connect(port, source=None):
    return socket.create_connection(
        ("127.0.0.1", port), TIMEOUT,
        source_address=(source, 0) if source else None)


def closed_at_once(fn):
    """A server that refuses resets the connection at accept: the client
    may see that at its connect or its first send. Either way, nothing
    was said: b""."""
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConnectionResetError, BrokenPipeError):
            return b""
    return wrapped


@closed_at_once
def gopher_proxied(port, header, selector=b"/\r\n", source=None, split=False):
    """The header and the selector in one send (one read for the server),
    or the header in two sends with a pause, to be gathered."""
    s = connect(port, source)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if split:
        s.sendall(header[:7])
        time.sleep(0.1)
        s.sendall(header[7:] + selector)
    else:
        s.sendall(header + selector)
    return read_until_closed(s)


@closed_at_once
def gemini_proxied(port, header, request=b"gemini://localhost/\r\n",
                   source=None):
    """A Gemini request whose ClientHello goes in the same send as the
    header: TLS must start right after the header in the server's read.
    Returns the response, b"" when the server closed instead."""
    s = connect(port, source)
    ctx = client_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    first = header
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            data = first + out.read()
            first = b""
            if data:
                s.sendall(data)
            chunk = s.recv(65536)
            if not chunk:
                return b""
            inc.write(chunk)
        obj.write(request)
        s.sendall(out.read())
        resp = b""
        while True:
            try:
                part = obj.read(65536)
                if not part:
                    return resp   # close_notify
                resp += part
                continue
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return resp
            chunk = s.recv(65536)
            if not chunk:
                return resp
            inc.write(chunk)
    except (ConnectionResetError, ssl.SSLError):
        return b""
    finally:
        s.close()


def wait_entry(srv, timeout=TIMEOUT, **want):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in srv.access_log()
                 if all(e[k] == v for k, v in want.items())]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("no access line with %r in:\n%s" %
                         (want, srv.stdout()))


class Base(unittest.TestCase):
    args = ("--proxy-protocol",)

    def setUp(self):
        self.capsule = tempfile.mkdtemp(prefix="pollux-cluster-")
        write_capsule(self.capsule)
        self.srv = Pollux(self.capsule, *self.args, ipv6=False)

    def tearDown(self):
        self.srv.stop()
        shutil.rmtree(self.capsule, ignore_errors=True)


class ProxyHeader(Base):
    def test_gopher_v1_and_v2_name_the_client(self):
        port = self.srv.gopher_port
        for hdr, client in ((v1("203.0.113.7"), "203.0.113.7"),
                            (v2("203.0.113.8"), "203.0.113.8"),
                            (v1("2001:db8::7", "::1"), "2001:db8::7"),
                            (v2("2001:db8::8"), "2001:db8::8")):
            data = gopher_proxied(port, hdr)
            self.assertIn(b"Test Capsule", data, hdr)
            e = wait_entry(self.srv, proto="gopher", client=client)
            self.assertEqual(e[0]["end"], "done")
            self.assertEqual(e[0]["request"], "/")

    def test_gopher_header_split_over_reads(self):
        data = gopher_proxied(self.srv.gopher_port, v2("198.51.100.3"),
                              split=True)
        self.assertIn(b"Test Capsule", data)
        wait_entry(self.srv, proto="gopher", client="198.51.100.3",
                   end="done")

    def test_gemini_v1_and_v2_name_the_client(self):
        port = self.srv.gemini_port
        for hdr, client in ((v1("203.0.113.9"), "203.0.113.9"),
                            (v2("203.0.113.10"), "203.0.113.10")):
            data = gemini_proxied(port, hdr)
            self.assertTrue(data.startswith(b"20 text/gemini"), data[:40])
            e = wait_entry(self.srv, proto="gemini", client=client)
            self.assertEqual(e[0]["end"], "done")
            self.assertEqual(e[0]["status"], "20")

    def test_local_header_keeps_the_peer(self):
        data = gopher_proxied(self.srv.gopher_port, v2(None, local=True))
        self.assertIn(b"Test Capsule", data)
        wait_entry(self.srv, proto="gopher", client="127.0.0.1", end="done")

    def test_missing_or_garbage_header_is_closed(self):
        self.assertEqual(gopher_proxied(self.srv.gopher_port, b""), b"")
        self.assertEqual(gopher_proxied(self.srv.gopher_port,
                                        b"PROXY TCP4 nonsense\r\n"), b"")
        self.assertEqual(gopher_proxied(self.srv.gopher_port,
                                        V2_SIG + b"\x99\x11\x00\x0c"), b"")
        self.assertEqual(gemini_proxied(self.srv.gemini_port, b""), b"")
        e = wait_entry(self.srv, proto="gopher", end="refused",
                       client="127.0.0.1")
        self.assertTrue(any(x["request"].startswith("/") for x in e), e)
        wait_entry(self.srv, proto="gemini", end="refused",
                   client="127.0.0.1")
        self.assertTrue(wait_for_stats(self.srv, connections=0, refused=4))
        # Nothing on either protocol was answered.
        self.assertFalse([x for x in self.srv.access_log()
                          if x["end"] != "refused"], self.srv.stdout())


class Limits(Base):
    args = ("--proxy-protocol", "--max-per-ip", "1")

    def test_limits_count_the_header_address(self):
        # One connection from 198.51.100.1 waits in its request; another
        # from that address is refused, one from elsewhere is served,
        # though all come from the balancer's one address.
        held = connect(self.srv.gopher_port)
        held.sendall(v1("198.51.100.1"))
        self.assertTrue(wait_for_stats(self.srv, clients=1, connections=1))
        self.assertEqual(gopher_proxied(self.srv.gopher_port,
                                        v1("198.51.100.1")), b"")
        self.assertIn(b"Test Capsule",
                      gopher_proxied(self.srv.gopher_port, v1("198.51.100.2")))
        wait_entry(self.srv, client="198.51.100.1", end="refused")
        wait_entry(self.srv, client="198.51.100.2", end="done")
        held.sendall(b"/\r\n")
        self.assertIn(b"Test Capsule", read_until_closed(held))


class Untrusted(Base):
    args = ("--proxy-protocol", "--trusted-proxy", "127.0.0.1/32")

    def test_peer_not_trusted_is_closed(self):
        self.assertEqual(gopher_proxied(self.srv.gopher_port,
                                        v1("203.0.113.1"),
                                        source="127.0.0.2"), b"")
        self.assertEqual(gemini_proxied(self.srv.gemini_port,
                                        v2("203.0.113.1"),
                                        source="127.0.0.2"), b"")
        wait_entry(self.srv, proto="gopher", client="127.0.0.2",
                   end="refused")
        wait_entry(self.srv, proto="gemini", client="127.0.0.2",
                   end="refused")
        self.assertFalse([x for x in self.srv.access_log()
                          if x["client"] == "203.0.113.1"])
        # The trusted one still is.
        self.assertIn(b"Test Capsule",
                      gopher_proxied(self.srv.gopher_port, v1("203.0.113.2")))
        wait_entry(self.srv, client="203.0.113.2", end="done")


def make_cert(folder, name):
    """A fresh self-signed P-256 certificate and its key (mode 0600)."""
    cert = os.path.join(folder, name + ".crt")
    key = os.path.join(folder, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def peer_cert(port):
    s = socket.create_connection(("127.0.0.1", port), TIMEOUT)
    with client_context().wrap_socket(s, server_hostname="localhost") as t:
        return t.getpeercert(binary_form=True)


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class Reload(unittest.TestCase):
    """SIGHUP: new connections get the certificate now in the files; one
    in flight finishes with the old; files that do not load change
    nothing."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pollux-certs-")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "capsule"))
        self.capsule = write_capsule(os.path.join(self.dir, "capsule"))
        self.cert, self.key = os.path.join(self.dir, "c"), os.path.join(
            self.dir, "k")
        self.install(*make_cert(self.dir, "a"))
        # A reload reads the files as --user, inside the chroot: here
        # the chroot is / and the key belongs to nobody.
        self.srv = Pollux(self.capsule, "--cert", self.cert, "--key",
                          self.key, ipv6=False, chroot="/")

    def tearDown(self):
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr())
        shutil.rmtree(self.dir, ignore_errors=True)

    def install(self, cert, key):
        # Renamed over the old, as an operator's tool (certbot) does.
        shutil.copy(cert, self.cert + ".new")
        shutil.copy(key, self.key + ".new")
        os.chmod(self.key + ".new", 0o600)
        if os.getuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(self.key + ".new", nobody.pw_uid, nobody.pw_gid)
        os.replace(self.key + ".new", self.key)
        os.replace(self.cert + ".new", self.cert)

    def sighup(self, word):
        seen = self.srv.stderr().count(word)
        self.srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while self.srv.stderr().count(word) == seen:
            self.assertLess(time.monotonic(), deadline, self.srv.stderr())
            time.sleep(0.05)

    def test_a_reload_keeps_the_tls_sessions(self):
        """The sessions the server keeps go to the new TLS context, so
        returning readers still resume after a SIGHUP."""
        url = "gemini://localhost/\r\n"
        offers = []
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = client_context(minimum=version, maximum=version)
            data, reused, session, _ = gemini_resuming(
                self.srv.gemini_port, url, ctx=ctx)
            self.assertTrue(data.startswith(b"20 "), data[:40])
            self.assertFalse(reused)
            offers.append((ctx, session))
        self.sighup("are in use for new connections")
        for ctx, session in offers:
            data, reused, _, _ = gemini_resuming(self.srv.gemini_port,
                                                 url, session, ctx)
            self.assertTrue(data.startswith(b"20 "), data[:40])
            self.assertTrue(reused, ctx.maximum_version)

    def test_new_certificate_for_new_connections_only(self):
        a = der(self.cert)
        self.assertEqual(peer_cert(self.srv.gemini_port), a)
        # A large download under way, read only in part.
        s = socket.create_connection(("127.0.0.1", self.srv.gemini_port),
                                     TIMEOUT)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        old = client_context().wrap_socket(s, server_hostname="localhost",
                                           suppress_ragged_eofs=False)
        old.sendall(b"gemini://localhost/big.bin\r\n")
        got = old.recv(65536)
        self.assertTrue(got.startswith(b"20 "), got[:40])

        self.install(*make_cert(self.dir, "b"))
        b = der(self.cert)
        self.sighup("are in use for new connections")
        self.assertEqual(peer_cert(self.srv.gemini_port), b)

        while True:   # the old one goes on to its end, cleanly
            part = old.recv(65536)
            if not part:
                break
            got += part
        self.assertEqual(old.getpeercert(binary_form=True), a)
        old.close()
        self.assertEqual(len(got), len(got.split(b"\r\n", 1)[0]) + 2 +
                         5 * 1024 * 1024)
        done = wait_entry(self.srv, proto="gemini", end="done",
                          status="20", bytes=len(got))
        self.assertIn("big.bin", done[0]["request"])

        # A certificate that does not load, then one that does not match
        # its key: the one in use stays.
        with open(self.cert, "w") as f:
            f.write("not a certificate\n")
        self.sighup("keeping the ones in use")
        self.assertEqual(peer_cert(self.srv.gemini_port), b)
        c_cert, _ = make_cert(self.dir, "c")
        _, d_key = make_cert(self.dir, "d")
        self.install(c_cert, d_key)
        self.sighup("keeping the ones in use")
        self.assertIn("key values mismatch", self.srv.stderr())
        self.assertEqual(peer_cert(self.srv.gemini_port), b)
        self.assertTrue(wait_for_stats(self.srv, connections=0))


class Off(Base):
    args = ()

    def test_without_the_option_a_header_is_a_selector(self):
        # Off by default: a client's bytes are never read as a header.
        data = gopher_proxied(self.srv.gopher_port, b"", b"/\r\n")
        self.assertIn(b"Test Capsule", data)
        wait_entry(self.srv, client="127.0.0.1", end="done")


if __name__ == "__main__":
    sys.exit(run(__name__))
