"""Gopher (RFC 1436) against the real binary, with curl and lynx as the
clients: menus, posts, images, bad selectors, deadlines and the cap."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (Pollux, connect_and_read, connect_many,  # noqa: E402
                            gopher, read_until_closed, run, wait_for_stats,
                            write_capsule)


def curl(url):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", url],
                       capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout


def menu(data):
    """The lines of a well-formed menu: CRLF everywhere, four fields a
    line, a '.' line at the end."""
    assert data.endswith(b"\r\n.\r\n"), data[-40:]
    body = data[:-3]
    assert body.count(b"\r\n") == body.count(b"\n"), "bare LF in a menu"
    lines = body.decode().split("\r\n")[:-1]
    for line in lines:
        assert len(line.split("\t")) == 4, repr(line)
    return lines


class Gopher(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        cls.srv = Pollux(cls.capsule, "--request-timeout", "1000")
        cls.port = cls.srv.gopher_port
        cls.base = "gopher://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.capsule)
        assert rc == 0, "pollux exited %d: %s" % (rc, cls.srv.stderr())

    def test_root_menu(self):
        lines = menu(curl(self.base + "/"))
        self.assertEqual(lines[0].split("\t")[0], "iTest Capsule")
        items = {l.split("\t")[1]: l[0] for l in lines if l[0] != "i"}
        # Index menus point at a post's menu, which has its text.
        self.assertEqual(items["/posts/radar/"], "1")
        self.assertEqual(items["/posts/"], "1")
        self.assertEqual(items["/tags/"], "1")
        self.assertEqual(items["/images/"], "1")
        for l in lines:
            if l[0] != "i":
                self.assertEqual(l.split("\t")[2:], ["localhost", str(self.port)])

    def test_empty_selector_is_root(self):
        self.assertEqual(gopher(self.port, b"\r\n"), curl(self.base + "/"))
        self.assertEqual(gopher(self.port, b"/\r\n"), curl(self.base + "/"))

    def test_tags(self):
        lines = menu(curl(self.base + "/1/tags/"))
        self.assertTrue(any(l.startswith("1iot (1 post)\t/tags/iot/") for l in lines))
        lines = menu(curl(self.base + "/1/tags/iot/"))
        self.assertTrue(any("\t/posts/radar/\t" in l for l in lines))
        self.assertFalse(any("payments" in l for l in lines))

    def test_post_is_text(self):
        text = curl(self.base + "/0/posts/radar.txt").decode()
        self.assertTrue(text.startswith("Radar post\r\n==========\r\n"))
        self.assertIn("References", text)
        self.assertIn("https://example.org/", text)
        self.assertTrue(text.endswith("\r\n.\r\n"))
        for line in text.split("\r\n"):
            self.assertLessEqual(len(line), 70)
        # A link to another post becomes its Gopher URL.
        text = curl(self.base + "/0/posts/payments.txt").decode()
        self.assertIn("gopher://localhost:%d/0/posts/radar.txt" % self.port, text)

    def test_image_byte_for_byte(self):
        want = open(os.path.join(self.capsule, "images", "x.png"), "rb").read()
        self.assertEqual(curl(self.base + "/I/images/x.png"), want)
        lines = menu(curl(self.base + "/1/images/"))
        self.assertIn("Ix.png\t/images/x.png\tlocalhost\t%d" % self.port, lines)

    def test_large_file(self):
        want = open(os.path.join(self.capsule, "big.bin"), "rb").read()
        self.assertEqual(gopher(self.port, b"/big.bin\r\n"), want)

    def test_feed_and_caps(self):
        feed = curl(self.base + "/0/atom.xml")
        self.assertIn(b"<feed xmlns=\"http://www.w3.org/2005/Atom\"", feed)
        self.assertIn(b"gopher://localhost:%d/0/posts/radar.txt" % self.port, feed)
        caps = curl(self.base + "/0/caps.txt").decode()
        self.assertTrue(caps.startswith("CAPS"))
        self.assertIn("PathDelimeter=/", caps)
        self.assertIn("ServerSoftware=pollux", caps)
        self.assertIn("ServerDefaultEncoding=UTF-8", caps)

    def test_lynx_reads_it(self):
        r = subprocess.run(["lynx", "-dump", "-connect_timeout=5",
                            self.base + "/"], capture_output=True, timeout=30,
                           env=dict(os.environ, HOME=tempfile.gettempdir()))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("Test Capsule", out)
        self.assertIn("Radar post", out)

    def test_tab_suffix_and_bare_lf(self):
        root = curl(self.base + "/")
        self.assertEqual(gopher(self.port, b"/\tsearch words\r\n"), root)
        self.assertEqual(gopher(self.port, b"\t$\r\n"), root)
        self.assertEqual(gopher(self.port, b"/\n"), root)
        self.assertEqual(gopher(self.port, b"posts/\r\n"),
                         curl(self.base + "/1/posts/"))
        self.assertEqual(gopher(self.port, b"/posts\r\n"),
                         curl(self.base + "/1/posts/"))

    def error(self, raw):
        data = gopher(self.port, raw)
        self.assertTrue(data.startswith(b"3"), data[:60])
        lines = menu(data)
        self.assertEqual(len(lines), 1)
        return lines[0]

    def test_not_found(self):
        for sel in (b"/nope", b"/posts/draft.txt", b"/.secret",
                    b"/site.yaml", b"/posts/2026-03-28-radar.md"):
            self.assertIn("Not found", self.error(sel + b"\r\n"))

    def test_bad_selectors(self):
        self.assertIn("too long", self.error(b"/" + b"a" * 1100 + b"\r\n"))
        self.error(b"/" + b"a" * 1024 + b"\r\n")
        for raw in (b"/posts/\x00x\r\n", b"/\x01\r\n", b"/\x1b[2J\r\n",
                    b"/\x7f\r\n", b"/\xff\xfe\r\n"):
            self.assertIn("Bad selector", self.error(raw))

    def test_exactly_1024_is_fine(self):
        line = self.error(b"/" + b"a" * 1023 + b"\r\n")
        self.assertIn("Not found", line)

    def test_dot_segments_stay_inside(self):
        # No menu of ours names a selector above the root: refused.
        for sel in (b"../../../etc/passwd", b"/../../etc/passwd", b"/../x",
                    b"..", b"/posts/../../.secret", b"posts/../../posts/"):
            data = gopher(self.port, sel + b"\r\n")
            self.assertNotIn(b"root:", data)
            self.assertNotIn(b"dotfile content", data)
            self.assertIn("climbs above the root", self.error(sel + b"\r\n"),
                          sel)
        data = gopher(self.port, b"/./.secret\r\n")
        self.assertNotIn(b"dotfile content", data)
        self.assertIn("Not found", self.error(b"/./.secret\r\n"))
        # Inside the root they resolve.
        self.assertEqual(gopher(self.port, b"/posts/../tags/\r\n"),
                         curl(self.base + "/1/tags/"))
        self.assertEqual(gopher(self.port, b"/posts/..\r\n"),
                         curl(self.base + "/"))

    def test_no_crlf_before_deadline(self):
        start = time.monotonic()
        data = gopher(self.port, b"/posts/")   # never ends its line
        self.assertLess(time.monotonic() - start, 5)
        self.assertTrue(data.startswith(b"3"), data)
        self.assertTrue(data.endswith(b".\r\n"))

    def test_ipv6(self):
        self.assertEqual(gopher(self.port, b"/\r\n", host="::1"),
                         curl(self.base + "/"))

    def test_access_log_names_gopher(self):
        gopher(self.port, b"/tags/\r\n")
        time.sleep(0.2)
        self.assertRegex(self.srv.stdout(),
                         r"gopher 127\.0\.0\.1 ok \d+ [\d.]+ms done \"/tags/\"")


class GopherLimits(unittest.TestCase):
    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))

    def tearDown(self):
        shutil.rmtree(self.capsule)

    def test_public_port_in_menus(self):
        srv = Pollux(self.capsule, "--gopher-public-port", "70", ipv6=False)
        try:
            lines = menu(gopher(srv.gopher_port, b"/\r\n"))
            self.assertTrue(all(l.endswith("\tlocalhost\t70") for l in lines
                                if l[0] != "i"))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_slow_clients(self):
        # One address holds all 200: not the per-address cap's test.
        srv = Pollux(self.capsule, "--request-timeout", "1000",
                     "--max-per-ip", "0", ipv6=False)
        try:
            idle = connect_many(srv.gopher_port, 200)
            self.assertTrue(gopher(srv.gopher_port, b"/\r\n").startswith(b"i"))
            for s in idle:
                data = read_until_closed(s)
                self.assertTrue(data.startswith(b"3"), data)   # told, then closed
            self.assertTrue(wait_for_stats(srv, connections=0, held=0),
                            srv.stats())
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_connection_cap(self):
        srv = Pollux(self.capsule, "--max-connections", "5",
                     "--max-per-ip", "0", ipv6=False)
        try:
            held = connect_many(srv.gopher_port, 5)
            time.sleep(0.3)
            self.assertEqual(connect_and_read(srv.gopher_port), b"")
            for s in held:
                s.close()
            time.sleep(0.3)
            self.assertTrue(gopher(srv.gopher_port, b"/\r\n").startswith(b"i"))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())


if __name__ == "__main__":
    sys.exit(run(__name__))
