"""Real Gopher clients on the sample capsule: lynx, sacc and curl follow
every link of the home page, of a post's menu and of a tag menu, and every
menu line fits 70 display columns (info lines 67). sacc is a terminal
program: it runs in a pseudo-terminal, its pager is cat and its plumber
(what it hands URLs and downloaded files to) is a script that notes them."""
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import termios
import unicodedata
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import Pollux, gopher, run  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "capsule")
HOST = "127.0.0.1"
MENUS = ["/", "/posts/esp32-radar/", "/tags/python/"]
WAIT = 15


def columns(s):
    """Display columns, by pollux's rule: East Asian wide and fullwidth
    characters take two, combining marks and format characters none."""
    n = 0
    for c in s:
        cat = unicodedata.category(c)
        if cat in ("Mn", "Me") or (cat == "Cf" and c != "\u00ad"):
            continue
        n += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return n


def menu_items(data):
    """(type, display, selector, host, port) of every line of a menu."""
    assert data.endswith(b"\r\n.\r\n"), data[-40:]
    out = []
    for line in data[:-3].decode().split("\r\n")[:-1]:
        fields = line[1:].split("\t")
        assert len(fields) == 4, repr(line)
        out.append((line[0], *fields))
    return out


def links(items):
    return [i for i in items if i[0] not in "i3"]


# What a search item (type 7) is followed with.
QUERY = "radar"


def gopher_url(port, item, query=False):
    """The item's URL (RFC 4266); with query, a type 7 item's search as
    clients send it, the words after an escaped tab."""
    t, _, sel, host, p = item
    url = "gopher://%s:%s/%s%s" % (host, p, t, urllib.parse.quote(sel, safe="/:"))
    return url + "%09" + QUERY if query and t == "7" else url


class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pollux-clients-")
        os.chmod(cls.tmp, 0o755)
        cls.capsule = os.path.join(cls.tmp, "capsule")
        shutil.copytree(SAMPLE, cls.capsule)
        for root, dirs, files in os.walk(cls.capsule):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        cls.srv = Pollux(cls.capsule, "--hostname", HOST, ipv6=False)
        cls.port = cls.srv.gopher_port
        cls.menus = {m: menu_items(gopher(cls.port, m.encode() + b"\r\n"))
                     for m in MENUS}
        cls.env = dict(os.environ, HOME=cls.tmp, TERM="xterm", PAGER="cat",
                       LANG="C.UTF-8", LC_ALL="C.UTF-8")

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp)
        assert rc == 0, "pollux exited %d: %s" % (rc, cls.srv.stderr())

    def ours(self, item):
        return item[3] == HOST and item[4] == str(self.port)

    def served(self, item):
        """What the server answers for an item of ours (a search item:
        for QUERY)."""
        words = b"\t" + QUERY.encode() if item[0] == "7" else b""
        return gopher(self.port, item[2].encode() + words + b"\r\n")

    def check_answer(self, item, data):
        """data is what a client got by following item."""
        if item[0] == "h" and item[2].startswith("URL:"):
            url = item[2][4:]
            self.assertIn(('href="%s"' % url).encode(), data, item)
        else:
            self.assertEqual(data, self.served(item), item)
            self.assertFalse(data.startswith(b"3"), item)

    def test_menus_fit_their_width(self):
        seen, todo = set(), list(MENUS)
        while todo:
            sel = todo.pop()
            if sel in seen:
                continue
            seen.add(sel)
            for t, display, s, host, port in menu_items(
                    gopher(self.port, sel.encode() + b"\r\n")):
                limit = 67 if t == "i" else 70
                self.assertLessEqual(columns(display), limit, (sel, display))
                if t == "1" and host == HOST and port == str(self.port):
                    todo.append(s)
        self.assertGreater(len(seen), 20)

    def test_every_link_is_an_item(self):
        home = self.menus["/"]
        # The introduction's link is an item, not a "[1]" footnote.
        self.assertFalse(any("[1]" in i[1] for i in home))
        self.assertIn(("0", "Atom feed", "/atom.xml", HOST, str(self.port)),
                      home)
        post = self.menus["/posts/esp32-radar/"]
        types = {i[0] for i in links(post)}
        self.assertTrue({"0", "1", "I", "h"} <= types, types)

    def test_curl_follows_every_link(self):
        for name, items in self.menus.items():
            for item in links(items):
                if not self.ours(item):
                    continue
                r = subprocess.run(["curl", "-sS", "--max-time", "10",
                                    gopher_url(self.port, item, True)],
                                   capture_output=True, timeout=20)
                self.assertEqual(r.returncode, 0, (name, item, r.stderr))
                self.check_answer(item, r.stdout)

    def lynx(self, *args):
        r = subprocess.run(["lynx", "-connect_timeout=5", *args],
                           capture_output=True, timeout=30, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_lynx_follows_every_link(self):
        for name, items in self.menus.items():
            url = "gopher://%s:%d/1%s" % (HOST, self.port, name)
            listed = self.lynx("-dump", "-listonly", "-nonumbers",
                               url).decode().split()
            listed = [urllib.parse.unquote(u) for u in listed
                      if u.startswith("gopher://")]
            want = [urllib.parse.unquote(gopher_url(self.port, i))
                    for i in links(items)]
            # lynx lists every item, in order, with its type and selector.
            self.assertEqual(listed, want, name)
            for item in links(items):
                if not self.ours(item):
                    continue
                if item[0] in "17":
                    # lynx shows a menu (a search's results too) as its
                    # own page: its first line.
                    title = menu_items(self.served(item))[0][1]
                    self.assertIn(title.encode(), self.lynx(
                        "-dump", gopher_url(self.port, item, True)), item)
                else:
                    self.check_answer(item, self.lynx(
                        "-source", gopher_url(self.port, item, True)))

    def test_sacc_follows_every_link(self):
        if not shutil.which("sacc"):
            self.skipTest("sacc is not installed")
        for name, items in self.menus.items():
            with Sacc(self, name) as s:
                for item in links(items):
                    s.follow(item)


class Sacc:
    """sacc on a menu, in a pseudo-terminal: J moves to the next link, l
    follows it, h goes back."""

    def __init__(self, test, menu):
        self.t = test
        self.dir = tempfile.mkdtemp(prefix="sacc-", dir=test.tmp)
        self.noted = os.path.join(self.dir, "plumbed")
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        plumber = os.path.join(bin_dir, "xdg-open")
        with open(plumber, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> "%s"\n'
                    '[ -f "$1" ] && cp "$1" "%s.file"\nexit 0\n'
                    % (self.noted, self.noted))
        os.chmod(plumber, 0o755)
        self.env = dict(test.env, PATH=bin_dir + ":" + os.environ["PATH"])
        self.url = "gopher://%s:%d/1%s" % (HOST, test.port, menu)

    def __enter__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                # Wide enough for a long URL on the status line.
                fcntl.ioctl(0, termios.TIOCSWINSZ,
                            struct.pack("HHHH", 60, 300, 0, 0))
                os.execvpe("sacc", ["sacc", self.url], self.env)
            finally:
                os._exit(127)
        self.read(1.0)
        return self

    def __exit__(self, *exc):
        try:
            os.write(self.fd, b"q")
            self.read(0.5)
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def read(self, seconds):
        out, end = b"", time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    out += os.read(self.fd, 65536)
                except OSError:
                    break
        return out

    def plumbed(self):
        try:
            with open(self.noted) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def follow(self, item):
        t, _, sel, host, port = item
        if t == "7":
            # The access log shows the search's tab escaped.
            sel = sel + "\\x09" + QUERY
        asked = self.t.srv.stdout().count(' "%s"\n' % sel)
        noted = len(self.plumbed())
        plumbs = t in "Ig9sh"     # what sacc hands to the plumber
        os.write(self.fd, b"J")
        self.read(0.2)
        os.write(self.fd, b"l")
        if t == "7":
            self.read(0.5)                      # sacc asks for the words
            os.write(self.fd, QUERY.encode() + b"\r")
        deadline = time.monotonic() + WAIT
        screen, answered = b"", 0
        while time.monotonic() < deadline:
            screen += self.read(0.2)
            # Where to download: nowhere, to the plumber.
            if screen.count(b"plumb):") > answered:
                answered += 1
                os.write(self.fd, b"\r")
            if t == "h" and sel.startswith("URL:"):
                # sacc knows the convention: the URL goes to the plumber.
                done = sel[4:] in self.plumbed()[noted:]
            else:
                done = self.t.srv.stdout().count(' "%s"\n' % sel) > asked
                if plumbs:
                    done = done and len(self.plumbed()) > noted
            # After the plumber, sacc says so and waits for a key.
            if done and (not plumbs or b"Plumbed" in screen):
                break
        self.t.assertTrue(done, "sacc did not follow %r" % (item,))
        if plumbs:
            self.t.assertIn(b"Plumbed", screen, item)
            if not sel.startswith("URL:"):
                with open(self.noted + ".file", "rb") as f:
                    self.t.check_answer(item, f.read())
            os.write(self.fd, b" ")
            self.read(0.3)
        if t in "17":
            os.write(self.fd, b"h")             # back to the menu
            self.read(0.5)


if __name__ == "__main__":
    sys.exit(run(__name__))
