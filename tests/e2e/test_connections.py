"""The connection layer, end to end: deadlines that measure stalls, not
speed; the ciphertext a connection may hold; one connection's failure
kept from its neighbours; the access line written when a connection ends,
with what really happened; per-address limits; TLS 1.2 and 1.3 with and
without SNI and with resumption. Every check reads what the server
reports (its access log, its stats line), never resident memory or the clock."""
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (Pollux, client_context, connect_and_read,  # noqa: E402
                            connect_many, gemini, gopher, run, wait_for,
                            wait_for_stats,
                            write_capsule)

# Four TLS records of 16 KiB and their overhead: what a Gemini connection
# may hold in ciphertext (TLSIO_OUT_MAX), and a bound on the rest of it.
OUT_MAX = 4 * (16384 + 64)
CONN_MAX = 8 << 10
BIG = 5 * 1024 * 1024   # big.bin in the harness's capsule



def tls_connect(port, sni="localhost", rcvbuf=None, ctx=None, session=None,
                host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(20)
    s.connect((host, port))
    ctx = ctx or client_context()
    return ctx.wrap_socket(s, server_hostname=sni, session=session,
                           suppress_ragged_eofs=False)


def plain_connect(port, rcvbuf=None, host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(20)
    s.connect((host, port))
    return s


def read_to_end(sock, chunk=65536, pause=0.0, limit=None):
    """Reads until the server closes: (data, how) where how is "clean"
    (EOF, and for TLS a close_notify), "ragged" (TLS without close_notify)
    or "reset". Stops early once limit bytes have come."""
    data = bytearray()
    try:
        while limit is None or len(data) < limit:
            part = sock.recv(chunk)
            if not part:
                return bytes(data), "clean"
            data += part
            if pause:
                time.sleep(pause)
    except ssl.SSLEOFError:
        return bytes(data), "ragged"
    except (ConnectionResetError, ssl.SSLError):
        return bytes(data), "reset"
    return bytes(data), "stopped"


def entries(srv, **want):
    """Access-log entries whose fields equal want's."""
    return [e for e in srv.access_log()
            if all(e[k] == v for k, v in want.items())]


def wait_entry(srv, **want):
    assert wait_for(lambda: entries(srv, **want)), (want, srv.stdout()[-2000:])
    return entries(srv, **want)[-1]


class Base(unittest.TestCase):
    ARGS = ()

    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        self.big = open(os.path.join(self.capsule, "big.bin"), "rb").read()
        self.srv = Pollux(self.capsule, *self.ARGS, ipv6=False)

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.capsule)
        self.assertEqual(rc, 0, self.srv.stderr())

    def gem_url(self, path):
        return ("gemini://localhost:%d%s\r\n" % (self.srv.gemini_port,
                                                 path)).encode()


class SlowReaders(Base):
    """A reader that keeps reading gets everything, however long it takes;
    one that stops is cut after --write-timeout, and the log says how much
    it had. The write timeout is 2 s, not less: on a loaded machine the
    reader itself may be off the CPU for half a second."""
    ARGS = ("--write-timeout", "2000")

    def test_gopher_slow_reader_gets_the_whole_file(self):
        s = plain_connect(self.srv.gopher_port, rcvbuf=16384)
        s.sendall(b"/big.bin\r\n")
        data, how = read_to_end(s, 65536, pause=0.04)
        s.close()
        self.assertEqual(how, "clean")
        self.assertEqual(data, self.big)
        e = wait_entry(self.srv, proto="gopher", request="/big.bin")
        self.assertEqual((e["status"], e["end"], e["bytes"]),
                         ("ok", "done", BIG))
        # It took longer than the write timeout, twice over at least.
        self.assertGreater(e["ms"], 4000)

    def test_gemini_slow_reader_gets_the_whole_file(self):
        t = tls_connect(self.srv.gemini_port, rcvbuf=16384)
        t.sendall(self.gem_url("/big.bin"))
        data, how = read_to_end(t, 65536, pause=0.04)
        t.close()
        self.assertEqual(how, "clean")
        head, body = data.split(b"\r\n", 1)
        self.assertEqual(head, b"20 application/octet-stream")
        self.assertEqual(body, self.big)
        e = wait_entry(self.srv, proto="gemini", end="done")
        self.assertEqual(e["bytes"], len(data))
        self.assertGreater(e["ms"], 4000)

    def test_gopher_reader_that_stops_is_cut(self):
        s = plain_connect(self.srv.gopher_port, rcvbuf=16384)
        s.sendall(b"/big.bin\r\n")
        first, _ = read_to_end(s, 65536, limit=256 << 10)
        e = wait_entry(self.srv, proto="gopher", end="cut")
        rest, how = read_to_end(s)
        s.close()
        got = len(first) + len(rest)
        # A reset, not an end of file: the client can tell.
        self.assertEqual(how, "reset")
        self.assertEqual(e["status"], "ok")
        self.assertLess(e["bytes"], BIG)
        self.assertGreaterEqual(e["bytes"], len(first))
        # Logged: what the client's TCP had taken, all it ever gets.
        self.assertLessEqual(abs(e["bytes"] - got), 65536, (e, got))
        self.assertEqual(first + rest, self.big[:got])

    def test_gemini_reader_that_stops_is_cut(self):
        t = tls_connect(self.srv.gemini_port, rcvbuf=16384)
        t.sendall(self.gem_url("/big.bin"))
        first, _ = read_to_end(t, 65536, limit=256 << 10)
        e = wait_entry(self.srv, proto="gemini", end="cut")
        rest, how = read_to_end(t)
        t.close()
        got = len(first) + len(rest)
        self.assertIn(how, ("reset", "ragged"))   # no close_notify
        self.assertEqual(e["status"], "20")
        self.assertLess(e["bytes"], BIG)
        self.assertGreaterEqual(e["bytes"], len(first) - 17 * 1024)
        # Counted in records: off by a record at most.
        self.assertLessEqual(abs(e["bytes"] - got), 17 * 1024, (e, got))


class ResponseCap(Base):
    ARGS = ("--write-timeout", "10000", "--response-timeout", "1000")

    def test_whole_response_cap_cuts_a_reader_that_reads(self):
        s = plain_connect(self.srv.gopher_port, rcvbuf=16384)
        s.sendall(b"/big.bin\r\n")
        data, how = read_to_end(s, 16384, pause=0.05)
        s.close()
        self.assertEqual(how, "reset")
        self.assertLess(len(data), BIG)
        e = wait_entry(self.srv, proto="gopher", end="cut")
        self.assertLess(e["bytes"], BIG)


class Memory(Base):
    """Many clients that stop reading hold a bounded amount each, as the
    server counts it (its stats line's held)."""
    N = 50

    def stall(self, connect, request):
        socks = []
        try:
            for _ in range(self.N):
                s = connect()
                s.sendall(request)
                s.recv(1000)
                socks.append(s)
            return socks
        except BaseException:
            for s in socks:
                s.close()
            raise

    def test_gemini_slow_readers_hold_at_most_their_bound(self):
        socks = self.stall(lambda: tls_connect(self.srv.gemini_port,
                                               rcvbuf=4096),
                           self.gem_url("/big.bin"))
        try:
            # Every one has filled its buffer: each holds about OUT_MAX.
            self.assertTrue(wait_for_stats(self.srv, connections=self.N),
                            self.srv.stats())
            self.assertTrue(wait_for(
                lambda: self.srv.stats()["held"] >= self.N * (64 << 10)),
                self.srv.stats())
            time.sleep(1)
            held = self.srv.stats()["held"]
            self.assertLessEqual(held, self.N * (OUT_MAX + CONN_MAX))
        finally:
            for s in socks:
                s.close()
        self.assertTrue(wait_for_stats(self.srv, connections=0, held=0),
                        self.srv.stats())

    def test_gopher_slow_readers_hold_nothing_but_their_state(self):
        socks = self.stall(lambda: plain_connect(self.srv.gopher_port,
                                                 rcvbuf=4096),
                           b"/big.bin\r\n")
        try:
            self.assertTrue(wait_for_stats(self.srv, connections=self.N),
                            self.srv.stats())
            self.assertLessEqual(self.srv.stats()["held"],
                                 self.N * CONN_MAX)
        finally:
            for s in socks:
                s.close()
        self.assertTrue(wait_for_stats(self.srv, connections=0, held=0),
                        self.srv.stats())


class Isolation(Base):
    """One worker, so every connection shares one thread and its OpenSSL
    error queue: failures of every kind on some connections, while another
    downloads a large file."""
    ARGS = ("--workers", "1")

    def test_failures_do_not_disturb_a_neighbour(self):
        result = {}

        def download():
            t = tls_connect(self.srv.gemini_port, rcvbuf=65536)
            t.sendall(self.gem_url("/big.bin"))
            result["data"], result["how"] = read_to_end(t, 65536, pause=0.01)
            t.close()

        reader = threading.Thread(target=download)
        reader.start()
        try:
            for _ in range(3):
                # A write error: the client resets in the middle.
                t = tls_connect(self.srv.gemini_port, rcvbuf=4096)
                t.sendall(self.gem_url("/big.bin"))
                t.recv(1000)
                t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
                t.close()
                # A forged record after the handshake: a decryption error.
                t = tls_connect(self.srv.gemini_port)
                socket.socket.send(t, b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
                read_to_end(t)
                t.close()
                # A host we do not serve, and bytes that are not TLS.
                with self.assertRaises(ssl.SSLError):
                    gemini(self.srv.gemini_port, self.gem_url("/"),
                           sni="wrong.example")
                s = plain_connect(self.srv.gemini_port)
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                read_to_end(s)
                s.close()
                data, clean = gemini(self.srv.gemini_port, self.gem_url("/"))
                self.assertTrue(data.startswith(b"20 ") and clean)
        finally:
            reader.join(60)
        self.assertEqual(result.get("how"), "clean")
        self.assertEqual(result["data"].split(b"\r\n", 1)[1], self.big)
        wait_entry(self.srv, proto="gemini", end="done",
                   bytes=len(result["data"]))
        self.assertTrue(wait_for(
            lambda: len(entries(self.srv, end="tls")) >= 9),
            self.srv.stdout()[-3000:])
        self.assertTrue(wait_for(
            lambda: len(entries(self.srv, end="reset", status="20")) >= 3),
            self.srv.stdout()[-3000:])


class AccessLog(Base):
    ARGS = ("--request-timeout", "500")

    def test_one_line_per_connection_with_what_happened(self):
        menu = gopher(self.srv.gopher_port, b"/\r\n")
        gopher(self.srv.gopher_port, b"/no-such-thing\r\n")
        gopher(self.srv.gopher_port, b"/a\x01b\r\n")
        slow = gopher(self.srv.gopher_port, b"/never-ends")
        self.assertTrue(slow.startswith(b"3"))
        plain_connect(self.srv.gopher_port).close()   # says nothing, leaves
        page, _ = gemini(self.srv.gemini_port, self.gem_url("/"))
        gemini(self.srv.gemini_port, self.gem_url("/nothing-here"))
        ok = wait_entry(self.srv, proto="gopher", request="/")
        self.assertEqual((ok["client"], ok["status"], ok["bytes"], ok["end"]),
                         ("127.0.0.1", "ok", len(menu), "done"))
        self.assertEqual(wait_entry(self.srv, request="/no-such-thing")
                         ["status"], "notfound")
        self.assertEqual(wait_entry(self.srv, request="/a\\x01b")["status"],
                         "error")
        never = wait_entry(self.srv, request="/never-ends")
        self.assertEqual((never["status"], never["end"], never["bytes"]),
                         ("error", "timeout", len(slow)))
        self.assertTrue(wait_for(lambda: entries(
            self.srv, proto="gopher", status="-", end="reset", bytes=0,
            request="")))
        home = wait_entry(self.srv, proto="gemini", status="20")
        self.assertEqual((home["bytes"], home["end"]), (len(page), "done"))
        self.assertEqual(wait_entry(self.srv, proto="gemini", status="51")
                         ["end"], "done")

    def test_log_ip_anon_and_none(self):
        for mode, want in (("anon", ("127.0.0.0", "::")), ("none", ("-", "-"))):
            capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
            srv = Pollux(capsule, "--log-ip", mode)
            try:
                gopher(srv.gopher_port, b"/v4\r\n")
                gopher(srv.gopher_port, b"/v6\r\n", host="::1")
                self.assertEqual(wait_entry(srv, request="/v4")["client"],
                                 want[0])
                self.assertEqual(wait_entry(srv, request="/v6")["client"],
                                 want[1])
                self.assertNotIn("127.0.0.1", srv.stdout())
            finally:
                self.assertEqual(srv.stop(), 0, srv.stderr())
                shutil.rmtree(capsule)


class RateLimit(Base):
    """Six requests a minute: the harness's start-up probes come from
    127.0.0.1, so the burst is spent from ::1, whose bucket is full."""
    ARGS = ("--rate-limit", "6")

    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        self.srv = Pollux(self.capsule, *self.ARGS, ipv6=True)

    def test_over_the_limit_is_told_to_slow_down(self):
        for i in range(6):
            self.assertTrue(gopher(self.srv.gopher_port, b"/\r\n", host="::1")
                            .startswith(b"i"), i)
        data, clean = gemini(self.srv.gemini_port, self.gem_url("/"),
                             host="::1")
        self.assertTrue(clean)
        head = data.decode()
        self.assertRegex(head, r"^44 \d+\r\n$")
        self.assertTrue(1 <= int(head.split()[1]) <= 10, head)
        data = gopher(self.srv.gopher_port, b"/\r\n", host="::1")
        self.assertRegex(data.decode(), r"^3Too many requests: try again in "
                         r"\d+ seconds?\t\terror\.host\t1\r\n\.\r\n$")
        self.assertEqual(wait_entry(self.srv, proto="gemini", status="44")
                         ["end"], "done")
        wait_entry(self.srv, proto="gopher", status="limited")
        stats = self.srv.stats()
        self.assertEqual(stats["rate_limited"], 2, stats)
        self.assertGreaterEqual(stats["clients"], 1, stats)
        # Another address has a bucket of its own.
        self.assertTrue(gopher(self.srv.gopher_port, b"/\r\n")
                        .startswith(b"i"))


class PerAddress(Base):
    ARGS = ("--max-per-ip", "2", "--request-timeout", "60000")

    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        self.srv = Pollux(self.capsule, *self.ARGS, ipv6=True)
        # The harness's probes must be gone before counting.
        assert wait_for_stats(self.srv, connections=0)

    def test_one_address_cannot_take_every_connection(self):
        held = connect_many(self.srv.gopher_port, 2)
        try:
            self.assertTrue(wait_for_stats(self.srv, connections=2))
            self.assertEqual(connect_and_read(self.srv.gopher_port), b"")
            self.assertTrue(wait_for_stats(self.srv, refused=1))
            wait_entry(self.srv, end="refused", status="-")
            # Another address is not held back by this one.
            self.assertTrue(gopher(self.srv.gopher_port, b"/\r\n",
                                   host="::1").startswith(b"i"))
            held.pop().close()
            self.assertTrue(wait_for_stats(self.srv, connections=1))
            self.assertTrue(gopher(self.srv.gopher_port, b"/\r\n")
                            .startswith(b"i"))
        finally:
            for s in held:
                s.close()
        self.assertTrue(wait_for_stats(self.srv, connections=0, clients=0))


class TLSVersions(Base):
    """TLS 1.2 and 1.3, with and without SNI, and resumed with the ticket
    the previous connection got (in TLS 1.3 it comes with the response)."""

    def fetch(self, ctx, sni, session=None):
        t = tls_connect(self.srv.gemini_port, sni=sni, ctx=ctx,
                        session=session)
        t.sendall(self.gem_url("/"))
        data, how = read_to_end(t)
        reused, session = t.session_reused, t.session
        t.close()
        self.assertEqual(how, "clean")
        self.assertTrue(data.startswith(b"20 text/gemini"), data[:40])
        return reused, session

    def test_full_and_resumed_handshakes(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            for sni in ("localhost", None):
                ctx = client_context(minimum=version, maximum=version)
                reused, session = self.fetch(ctx, sni)
                self.assertFalse(reused)
                self.assertIsNotNone(session, (version, sni))
                reused, _ = self.fetch(ctx, sni, session)
                self.assertTrue(reused, (version, sni))

    def test_a_tls13_session_is_kept_once(self):
        """The server keeps its sessions (no ticket key is shared): a
        client that resumes again and again holds one of them, and a
        ticket already used is not taken again."""
        ctx = client_context(minimum=ssl.TLSVersion.TLSv1_3)
        before = self.srv.stats()["tls_sessions"]
        _, first = self.fetch(ctx, "localhost")
        session = first
        for i in range(10):
            reused, session = self.fetch(ctx, "localhost", session)
            self.assertTrue(reused, i)
        # A new session may take an old one's slot, never add to it.
        self.assertLessEqual(self.srv.stats()["tls_sessions"], before + 1)
        reused, _ = self.fetch(ctx, "localhost", first)
        self.assertFalse(reused)


class Stop(Base):
    def test_stop_cuts_idle_connections_and_logs_them(self):
        idle = connect_many(self.srv.gopher_port, 3)
        self.assertTrue(wait_for_stats(self.srv, connections=3))
        self.srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.srv.proc.wait(20), 0)
        for s in idle:
            s.close()
        self.assertEqual(len(entries(self.srv, end="cut", status="-")), 3,
                         self.srv.stdout())


if __name__ == "__main__":
    sys.exit(run(__name__))
