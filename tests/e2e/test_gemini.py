"""Gemini over TLS, against the real binary: every status, every bad
request, TLS floor, close_notify, SNI, IPv6, a large file, the access log,
stalled clients and the connection cap."""
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (POLLUX, Pollux, client_context, connect_and_read,  # noqa: E402
                            connect_many, free_port, gemini, gemini_half_close,
                            read_until_closed, recv_all, run, wait_for_stats,
                            write_capsule)


class Gemini(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        cls.srv = Pollux(cls.capsule, "--hostname", "localhost",
                         "--hostname", "capsule.example")
        cls.port = cls.srv.gemini_port

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.capsule)
        assert rc == 0, "pollux exited %d: %s" % (rc, cls.srv.stderr())

    def get(self, request, **kw):
        data, clean = gemini(self.port, request, **kw)
        self.assertTrue(clean, "response must end with close_notify")
        return data

    def url(self, path, host="localhost"):
        return "gemini://%s:%d%s\r\n" % (host, self.port, path)

    def header(self, request, **kw):
        return self.get(request, **kw).split(b"\r\n", 1)[0].decode()

    # --- 20 and friends ---------------------------------------------------
    def test_home(self):
        data = self.get(self.url("/"))
        self.assertTrue(data.startswith(b"20 text/gemini; lang=en\r\n# Test Capsule\n"))
        self.assertIn(b"=> /posts/radar.gmi 2026-03-28 Radar post", data)

    def test_post_and_link_between_posts(self):
        data = self.get(self.url("/posts/payments.gmi"))
        self.assertTrue(data.startswith(b"20 text/gemini"))
        self.assertIn(b"=> /posts/radar.gmi", data)

    def test_default_port_and_case(self):
        # Without a port, and with upper case: the same host.
        data = self.get("gemini://LOCALHOST/\r\n")
        self.assertTrue(data.startswith(b"20 "), data[:40])
        self.assertTrue(self.header(self.url("/", "Capsule.Example"),
                                    sni="capsule.example").startswith("20 "))

    def test_ip_literal_host(self):
        self.assertTrue(self.header(self.url("/", "127.0.0.1"),
                                    sni=None).startswith("20 "))

    def test_static_file_mime(self):
        data = self.get(self.url("/images/x.png"))
        self.assertTrue(data.startswith(b"20 image/png\r\n\x89PNG"))

    def test_large_file_byte_for_byte(self):
        want = open(os.path.join(self.capsule, "big.bin"), "rb").read()
        data = self.get(self.url("/big.bin"))
        head, body = data.split(b"\r\n", 1)
        self.assertEqual(head, b"20 application/octet-stream")
        self.assertEqual(len(body), len(want))
        self.assertEqual(body, want)

    def test_redirect_directory(self):
        self.assertEqual(self.header(self.url("/posts")),
                         "31 gemini://localhost:%d/posts/" % self.port)
        self.assertEqual(self.header(self.url("/tags/iot")),
                         "31 gemini://localhost:%d/tags/iot/" % self.port)

    def test_not_found(self):
        for path in ("/nope", "/posts/draft.gmi", "/.secret", "/posts/x/../.secret",
                     "/site.yaml", "/posts/2026-03-28-radar.md"):
            self.assertEqual(self.header(self.url(path)), "51 Not found", path)

    def test_query_ignored_on_pages(self):
        self.assertTrue(self.header(self.url("/?q=1")).startswith("20 "))

    # --- 53 -------------------------------------------------------------
    def test_proxy_refused(self):
        for req in ("gemini://example.org/\r\n",
                    "https://localhost/\r\n",
                    "gopher://localhost/\r\n",
                    "gemini://localhost:1/\r\n"):
            self.assertTrue(self.header(req).startswith("53 "), req)

    # --- 59 -------------------------------------------------------------
    def test_bad_requests(self):
        long_url = "gemini://localhost/" + "a" * (1025 - len("gemini://localhost/"))
        cases = {
            "too long": long_url + "\r\n",
            "bare LF": "gemini://localhost/\n",
            "empty": "\r\n",
            "relative": "/posts/\r\n",
            "no scheme": "//localhost/\r\n",
            "userinfo": "gemini://user@localhost/\r\n",
            "fragment": "gemini://localhost/#top\r\n",
            "bad escape": "gemini://localhost/%zz\r\n",
            "short escape": "gemini://localhost/%4\r\n",
            "NUL escape": "gemini://localhost/%00\r\n",
            "encoded slash": "gemini://localhost/posts%2fradar.gmi\r\n",
            "space": "gemini://localhost/a b\r\n",
            "two lines": "gemini://localhost/\r\ngemini://localhost/\r\n",
        }
        for name, req in cases.items():
            head = self.header(req)
            if name == "two lines":
                # Only the first line is read: it is a fine request.
                self.assertTrue(head.startswith("20 "), name)
                continue
            self.assertTrue(head.startswith("59 "), "%s: %s" % (name, head))
        for raw in (b"gemini://localhost/\xff\r\n", b"gemini://localhost/\xc0\xaf\r\n",
                    b"gemini://localhost/\x00\r\n", b"gemini://localhost/\x7f\r\n"):
            self.assertTrue(self.header(raw).startswith("59 "), raw)

    def test_exactly_1024_bytes_is_fine(self):
        base = "gemini://localhost/"
        url = base + "a" * (1024 - len(base))
        self.assertEqual(len(url), 1024)
        self.assertEqual(self.header(url + "\r\n"), "51 Not found")

    def test_no_crlf_then_close(self):
        data = gemini_half_close(self.port, b"gemini://localhost/")
        self.assertTrue(data.startswith(b"59 "), data)

    def test_dot_segments_stay_inside(self):
        # Clients resolve dot segments before sending: a path that still
        # climbs above the root is refused, whatever it names.
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                     "/%2E%2E/", "/.%2e/x", "/posts/../../../", "/../",
                     "/posts/../../posts/radar.gmi"):
            data = self.get(self.url(path))
            self.assertNotIn(b"root:", data, path)
            self.assertEqual(data.split(b"\r\n", 1)[0].decode(),
                             "59 Bad request: path climbs above the root", path)
        # Inside the root they resolve.
        self.assertEqual(self.header(self.url("/./posts/./radar.gmi"))[:2], "20")
        self.assertEqual(self.header(self.url("/posts/../posts/radar.gmi"))[:2], "20")
        self.assertEqual(self.header(self.url("/posts/../")), "20 text/gemini; lang=en")
        self.assertEqual(self.header(self.url("/posts/%2e%2e/")),
                         "20 text/gemini; lang=en")

    # --- TLS --------------------------------------------------------------
    def test_tls_1_1_refused(self):
        ctx = client_context(maximum=ssl.TLSVersion.TLSv1_1)
        try:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except ssl.SSLError:
            pass
        with self.assertRaises((ssl.SSLError, OSError)):
            gemini(self.port, self.url("/"), ctx=ctx)
        # And with OpenSSL's own client, which can still offer TLS 1.1.
        r = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.port,
             "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
            input=b"", capture_output=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Cipher is (NONE)", r.stdout)

    def test_tls_1_2_and_1_3(self):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = client_context(minimum=v, maximum=v)
            data, clean = gemini(self.port, self.url("/"), ctx=ctx)
            self.assertTrue(data.startswith(b"20 "))
            self.assertTrue(clean)

    def handshake(self, ctx, sni):
        """The cipher the server chose, and the answer to "/"."""
        with socket.create_connection(("127.0.0.1", self.port), 5) as s:
            with ctx.wrap_socket(s, server_hostname=sni) as t:
                t.sendall(self.url("/").encode())
                return t.cipher()[0], recv_all(t)

    def test_tls_1_2_cbc_refused(self):
        # TLS 1.2 offers ECDHE with AEAD only: a client with nothing else
        # than CBC suites (RSA or ECDHE key exchange) gets no handshake.
        for cipher in ("AES128-SHA", "ECDHE-ECDSA-AES128-SHA",
                       "ECDHE-ECDSA-AES256-SHA384"):
            ctx = client_context(maximum=ssl.TLSVersion.TLSv1_2)
            ctx.set_ciphers(cipher + ":@SECLEVEL=0")
            with self.assertRaises((ssl.SSLError, OSError), msg=cipher):
                gemini(self.port, self.url("/"), ctx=ctx)
            r = subprocess.run(
                ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.port,
                 "-tls1_2", "-cipher", cipher, "-servername", "localhost"],
                input=b"", capture_output=True, timeout=10)
            self.assertNotEqual(r.returncode, 0, cipher)
            self.assertIn(b"Cipher is (NONE)", r.stdout, cipher)

    def test_tls_default_ciphers_with_and_without_sni(self):
        # AES-128-GCM first in both versions (the clients list others first).
        want = {ssl.TLSVersion.TLSv1_2: "ECDHE-ECDSA-AES128-GCM-SHA256",
                ssl.TLSVersion.TLSv1_3: "TLS_AES_128_GCM_SHA256"}
        for v, cipher in want.items():
            for sni in ("localhost", None):
                ctx = client_context(minimum=v, maximum=v)
                got, data = self.handshake(ctx, sni)
                self.assertEqual(got, cipher, (v, sni))
                self.assertTrue(data.startswith(b"20 "), (v, sni))
        # A TLS 1.2 client with only ChaCha20 is served too.
        ctx = client_context(maximum=ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")
        got, data = self.handshake(ctx, "localhost")
        self.assertEqual(got, "ECDHE-ECDSA-CHACHA20-POLY1305")
        self.assertTrue(data.startswith(b"20 "))

    def test_sni(self):
        with self.assertRaises(ssl.SSLError):
            gemini(self.port, self.url("/"), sni="wrong.example")
        self.assertTrue(self.header(self.url("/"), sni="localhost").startswith("20"))

    def test_certificate_names_every_host(self):
        ctx = client_context()
        with socket.create_connection(("127.0.0.1", self.port), 5) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                der = t.getpeercert(binary_form=True)
        pem = ssl.DER_cert_to_PEM_cert(der)
        r = subprocess.run(["openssl", "x509", "-noout", "-text"],
                           input=pem.encode(), capture_output=True)
        text = r.stdout.decode()
        self.assertIn("DNS:localhost", text)
        self.assertIn("DNS:capsule.example", text)
        self.assertIn("prime256v1", text)

    def test_ipv6(self):
        data, clean = gemini(self.port, "gemini://[::1]:%d/\r\n" % self.port,
                             host="::1", sni=None)
        self.assertTrue(data.startswith(b"20 "), data[:40])

    def test_access_log(self):
        self.get(self.url("/tags/"))
        self.get("gemini://localhost/\x1b[31m\"evil\r\n")
        time.sleep(0.2)
        log = self.srv.stdout()
        self.assertRegex(log, r"gemini 127\.0\.0\.1 20 \d+ [\d.]+ms done \"gemini://localhost:\d+/tags/\"")
        self.assertIn("\\x1B[31m\\x22evil", log)
        for line in log.splitlines():
            self.assertNotIn("\x1b", line)


class Limits(unittest.TestCase):
    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))

    def tearDown(self):
        shutil.rmtree(self.capsule)

    def test_slow_clients_are_dropped_and_memory_returns(self):
        # One address holds all 200: the per-address cap (a sixteenth of a
        # cap that a low descriptor limit, as under valgrind, lowers) is
        # not what is tested here. 2 s deadlines leave a handshake under
        # valgrind on a loaded machine time to finish.
        srv = Pollux(self.capsule, "--handshake-timeout", "2000",
                     "--request-timeout", "2000", "--max-per-ip", "0",
                     ipv6=False)
        try:
            idle = connect_many(srv.gemini_port, 200)
            data, _ = gemini(srv.gemini_port, "gemini://localhost/\r\n")
            self.assertTrue(data.startswith(b"20 "), data)
            for s in idle:
                self.assertEqual(read_until_closed(s), b"")   # nothing said
            # Nothing is left of them: asked of the server, not read
            # from resident memory (which sanitizers and valgrind inflate).
            self.assertTrue(wait_for_stats(srv, connections=0, held=0),
                            srv.stats())
            # A client stalling after the handshake is dropped too (the
            # read's timeout, far above the 1 s deadline, is the check).
            ctx = client_context()
            with socket.create_connection(("127.0.0.1", srv.gemini_port), 5) as s:
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.settimeout(10)
                    try:
                        self.assertEqual(t.recv(100), b"")
                    except (ssl.SSLError, ConnectionResetError):
                        pass
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_connection_cap(self):
        # From one address: the per-address cap (4 here) must not be
        # what refuses.
        srv = Pollux(self.capsule, "--max-connections", "10",
                     "--max-per-ip", "0", ipv6=False)
        try:
            held = connect_many(srv.gemini_port, 10)
            time.sleep(0.3)
            for _ in range(10):
                self.assertEqual(connect_and_read(srv.gemini_port), b"")
            for s in held:
                s.close()
            time.sleep(0.3)
            data, _ = gemini(srv.gemini_port, "gemini://localhost/\r\n")
            self.assertTrue(data.startswith(b"20 "))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_certificate_reused_and_key_private(self):
        srv = Pollux(self.capsule, ipv6=False)
        certs = os.path.join(srv.tmp, "certs")
        try:
            self.assertEqual(os.stat(os.path.join(certs, "key.pem")).st_mode & 0o777, 0o600)
            first = open(os.path.join(certs, "cert.pem"), "rb").read()
            # Both fingerprints, as openssl computes them from the files.
            pem = os.path.join(certs, "cert.pem")
            der = subprocess.run(["openssl", "x509", "-in", pem, "-outform",
                                  "DER"], capture_output=True, check=True).stdout
            spki = subprocess.run(
                "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin "
                "-outform DER" % pem, shell=True, capture_output=True,
                check=True).stdout
            colons = lambda d: ":".join("%02X" % b for b in
                                        hashlib.sha256(d).digest())
            err = srv.stderr()
            self.assertIn("certificate SHA-256 fingerprint: " + colons(der), err)
            self.assertIn("public key SHA-256 fingerprint (Lagrange, Amfora): "
                          + colons(spki), err)
        finally:
            # Keep the certs folder for a second start.
            keep = tempfile.mkdtemp()
            shutil.copytree(certs, os.path.join(keep, "certs"))
            srv.stop()
        srv = Pollux(self.capsule, "--certs", os.path.join(keep, "certs"), ipv6=False)
        try:
            self.assertEqual(open(os.path.join(keep, "certs", "cert.pem"), "rb").read(), first)
            self.assertNotIn("generated", srv.stderr())
        finally:
            srv.stop()
            shutil.rmtree(keep)

    def test_cipher_options_prefer_aes_256(self):
        srv = Pollux(self.capsule, "--ciphers",
                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
                     "--ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
                     ipv6=False)
        try:
            for v, want in ((ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES256-GCM-SHA384"),
                            (ssl.TLSVersion.TLSv1_3, "TLS_AES_256_GCM_SHA384")):
                ctx = client_context(minimum=v, maximum=v)
                with socket.create_connection(("127.0.0.1", srv.gemini_port), 5) as s:
                    with ctx.wrap_socket(s, server_hostname="localhost") as t:
                        self.assertEqual(t.cipher()[0], want)
            # ChaCha20 is not in the operator's TLS 1.2 list any more.
            ctx = client_context(maximum=ssl.TLSVersion.TLSv1_2)
            ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")
            with self.assertRaises((ssl.SSLError, OSError)):
                gemini(srv.gemini_port, "gemini://localhost/\r\n", ctx=ctx)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_bad_cipher_lists_stop_pollux(self):
        cases = [
            (["--ciphers", "AES128-SHA"], "AES128-SHA is not an ECDHE suite"),
            (["--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256:HIGH"], "is not an ECDHE suite"),
            (["--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256:TYPO"], "no TLS 1.2 cipher named \"TYPO\""),
            (["--ciphers", ""], "empty"),
            (["--ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_NOPE"],
             "no TLS 1.3 ciphersuite named \"TLS_NOPE\""),
        ]
        tmp = tempfile.mkdtemp(prefix="pollux-e2e-")
        try:
            conf = os.path.join(tmp, "pollux.conf")
            with open(conf, "w") as f:
                f.write("# TLS\nciphers ECDHE-RSA-AES128-SHA\n")
            cases.append((["-c", conf], conf + ":2: ciphers: "))
            for args, why in cases:
                r = subprocess.run(
                    [POLLUX, "--capsule", self.capsule, "--listen", "127.0.0.1",
                     "--gemini-port", str(free_port()), "--gopher-port", "0",
                     "--certs", os.path.join(tmp, "certs"), *args],
                    capture_output=True, timeout=30)
                err = r.stderr.decode()
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn(why, err, args)
                self.assertNotIn("serving", err, args)
        finally:
            shutil.rmtree(tmp)

    def start_fails(self, *args):
        """Runs pollux with args; it must exit non-zero. Returns stderr."""
        r = subprocess.run(
            [POLLUX, "--capsule", self.capsule, "--listen", "127.0.0.1",
             "--gemini-port", str(free_port()), "--gopher-port", "0", *args],
            capture_output=True, timeout=30)
        err = r.stderr.decode()
        self.assertNotEqual(r.returncode, 0, err)
        self.assertNotIn("serving", err)
        return err

    def test_key_open_to_others_refused(self):
        tmp = tempfile.mkdtemp(prefix="pollux-e2e-")
        try:
            key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
                            "-days", "2"], check=True, capture_output=True)
            for mode in (0o644, 0o604, 0o602, 0o601, 0o666):
                os.chmod(key, mode)
                err = self.start_fails("--cert", cert, "--key", key,
                                       "--certs", os.path.join(tmp, "certs"))
                self.assertIn("%s: the private key has mode %04o, open to other "
                              "users" % (key, mode), err)
            # Group-readable is the ssl-cert convention: served.
            os.chmod(key, 0o640)
            srv = Pollux(self.capsule, "--cert", cert, "--key", key, ipv6=False)
            try:
                data, _ = gemini(srv.gemini_port, "gemini://localhost/\r\n")
                self.assertTrue(data.startswith(b"20 "))
            finally:
                self.assertEqual(srv.stop(), 0, srv.stderr())
            # The generated key in certs/ is checked the same way.
            srv = Pollux(self.capsule, "--certs", os.path.join(tmp, "certs"),
                         ipv6=False)
            self.assertEqual(srv.stop(), 0)
            gen = os.path.join(tmp, "certs", "key.pem")
            os.chmod(gen, 0o644)
            err = self.start_fails("--certs", os.path.join(tmp, "certs"))
            self.assertIn("%s: the private key has mode 0644" % gen, err)
        finally:
            shutil.rmtree(tmp)

    def test_sigint_stops_cleanly(self):
        import signal
        srv = Pollux(self.capsule, ipv6=False)
        gemini(srv.gemini_port, "gemini://localhost/\r\n")
        self.assertEqual(srv.stop(signal.SIGINT), 0)


if __name__ == "__main__":
    sys.exit(run(__name__))
