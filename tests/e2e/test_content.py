"""The content pipeline end to end, without the network: the real binary's
--check and --dump on the sample capsule and on broken capsules written
here; Atom feeds read back with a real feed parser."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import feedparser

POLLUX = os.environ.get("POLLUX", "./pollux")
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "capsule")


def pollux(*args, capsule=SAMPLE):
    r = subprocess.run([POLLUX, "--capsule", capsule, *args],
                       capture_output=True, timeout=60)
    return r.returncode, r.stdout, r.stderr.decode()


def dump(url, capsule=SAMPLE, *extra):
    return pollux("--dump", url, *extra, capsule=capsule)


def menu_lines(body):
    assert body.endswith(b".\r\n"), body[-20:]
    lines = body[:-3].split(b"\r\n")
    assert lines[-1] == b"", "every menu line ends with CRLF"
    return [l.decode() for l in lines[:-1]]


class SampleCapsule(unittest.TestCase):
    def test_check_is_clean(self):
        rc, out, err = pollux("--check")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.decode(), r"\d+ posts, \d+ tags")
        self.assertEqual(err, "")

    def test_home_is_gemtext_with_dated_links(self):
        rc, out, _ = dump("gemini://localhost/")
        self.assertEqual(rc, 0)
        head, body = out.split(b"\r\n", 1)
        self.assertEqual(head, b"20 text/gemini; lang=en")
        text = body.decode()
        self.assertTrue(text.startswith("# Engineering Thoughts\n"))
        links = re.findall(r"^=> /posts/[a-z0-9.-]+\.gmi (\d{4}-\d\d-\d\d) ",
                           text, re.M)
        self.assertGreaterEqual(len(links), 5)
        self.assertEqual(links, sorted(links, reverse=True))
        self.assertIn("=> /atom.xml", text)

    def test_all_posts_and_no_drafts(self):
        rc, out, _ = dump("gemini://localhost/posts/")
        self.assertEqual(rc, 0)
        text = out.decode()
        links = re.findall(r"^=> (/posts/\S+\.gmi) (\d{4}-\d\d-\d\d) (.*)$",
                           text, re.M)
        self.assertGreaterEqual(len(links), 8)
        self.assertNotIn("Your Post Title Here", text)
        for path, _, title in links:
            rc, post, _ = dump("gemini://localhost" + path)
            self.assertEqual(rc, 0, path)
            self.assertTrue(post.startswith(b"20 text/gemini; lang="))
            self.assertIn(("# " + title + "\n").encode(), post)

    def test_directory_without_slash_redirects(self):
        for path in ("/posts", "/tags", "/tags/iot"):
            rc, out, _ = dump("gemini://localhost" + path)
            self.assertEqual(out, b"31 gemini://localhost" + path.encode()
                             + b"/\r\n")

    def test_unknown_page_is_51(self):
        rc, out, _ = dump("gemini://localhost/nope.gmi")
        self.assertEqual(out, b"51 Not found\r\n")
        self.assertEqual(rc, 1)

    def test_gopher_tags_menu_is_well_formed(self):
        rc, out, _ = dump("gopher://localhost/1/tags/")
        self.assertEqual(rc, 0)
        lines = menu_lines(out)
        self.assertGreater(len(lines), 5)
        for line in lines:
            fields = line.split("\t")
            self.assertEqual(len(fields), 4, line)
            if line[0] != "i":
                self.assertEqual(fields[2:], ["localhost", "70"])
        self.assertTrue(any(l.startswith("1iot (") for l in lines))

    def test_gopher_post_is_wrapped_text(self):
        _, out, _ = dump("gopher://localhost/1/posts/")
        # Each post's menu (type 1) has its text at /posts/SLUG.txt.
        sels = [l.split("\t")[1][:-1] + ".txt" for l in menu_lines(out)
                if l[0] == "1" and l.split("\t")[1].startswith("/posts/")]
        self.assertGreaterEqual(len(sels), 8)
        for sel in sels:
            rc, text, _ = dump("gopher://localhost/0" + sel)
            self.assertEqual(rc, 0)
            self.assertTrue(text.endswith(b"\r\n.\r\n"))
            for line in text.decode().split("\r\n"):
                self.assertNotIn("\n", line)

    def test_feeds_parse(self):
        for url, prefix in (("gemini://localhost/atom.xml", "gemini://"),
                            ("gopher://localhost/0/atom.xml", "gopher://")):
            rc, out, _ = dump(url)
            self.assertEqual(rc, 0)
            body = out.split(b"\r\n", 1)[1] if prefix == "gemini://" else out
            feed = feedparser.parse(body)
            self.assertFalse(feed.bozo, feed.get("bozo_exception"))
            self.assertEqual(feed.feed.title, "Engineering Thoughts")
            self.assertGreaterEqual(len(feed.entries), 8)
            for e in feed.entries:
                # feedparser's e.link is only an HTML alternate; ours is
                # typed text/gemini or text/plain.
                alt = [l for l in e.links if l.rel == "alternate"]
                self.assertEqual(len(alt), 1, e.links)
                self.assertTrue(alt[0].href.startswith(prefix), alt[0].href)
                self.assertTrue(e.id)
                self.assertTrue(e.updated)
                self.assertTrue(e.title)

    def test_tag_feed(self):
        rc, out, _ = dump("gemini://localhost/tags/iot/atom.xml")
        self.assertEqual(rc, 0)
        feed = feedparser.parse(out.split(b"\r\n", 1)[1])
        self.assertFalse(feed.bozo)
        self.assertGreaterEqual(len(feed.entries), 1)

    def test_robots_and_caps(self):
        rc, out, _ = dump("gemini://localhost/robots.txt")
        self.assertTrue(out.startswith(b"20 text/plain"))
        self.assertIn(b"User-agent:", out)
        rc, out, _ = dump("gopher://localhost/0/caps.txt")
        self.assertTrue(out.startswith(b"CAPS"))
        self.assertIn(b"PathDelimeter=/", out)

    def test_static_files_as_they_are(self):
        path = os.path.join(SAMPLE, "images", "radar-wiring.png")
        data = open(path, "rb").read()
        rc, out, _ = dump("gemini://localhost/images/radar-wiring.png")
        self.assertEqual(out, b"20 image/png\r\n" + data)
        rc, out, _ = dump("gopher://localhost/I/images/radar-wiring.png")
        self.assertEqual(out, data)


class BrokenCapsule(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pollux-broken-")
        os.makedirs(os.path.join(self.dir, "posts"))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def put(self, rel, data):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def test_problems_name_file_and_line_and_rest_is_served(self):
        self.put("site.yaml", "title: Broken\n")
        self.put("posts/good.md", "---\ntitle: Good\ndate: 2025-01-01\n---\nok\n")
        self.put("posts/baddate.md",
                 "---\ntitle: Bad\n\ndate: 2025-02-30\n---\nx\n")
        self.put("posts/notitle.md", "---\ndate: 2025-01-01\n---\nx\n")
        rc, out, err = pollux("--check", capsule=self.dir)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"(?m)^posts/baddate\.md:4: .*date")
        self.assertRegex(err, r"(?m)^posts/notitle\.md:\d+: .*title")
        rc, out, err = dump("gemini://localhost/posts/", self.dir)
        self.assertEqual(rc, 0)
        self.assertIn(b"=> /posts/good.gmi 2025-01-01 Good", out)
        self.assertNotIn(b"Bad", out)

    def test_date_times_sort_and_reach_the_feed(self):
        # Three posts on one day: sorted by their times (offsets counted),
        # and the feed carries each time with its offset, and updated:.
        self.put("posts/morning.md", "---\ntitle: Morning\n"
                 "date: 2026-03-28T08:00:00Z\n---\nx\n")
        self.put("posts/india.md", "---\ntitle: India\n"
                 "date: 2026-03-28T10:30:00+05:30\n"
                 "updated: 2026-04-02 09:00:00 +0200\n---\nx\n")
        self.put("posts/midnight.md", "---\ntitle: Midnight\n"
                 "date: 2026-03-28\n---\nx\n")
        rc, out, err = pollux("--check", capsule=self.dir)
        self.assertEqual(rc, 0, err)
        rc, out, _ = dump("gemini://localhost/posts/", self.dir)
        titles = re.findall(r"^=> \S+ 2026-03-28 (\w+)$", out.decode(), re.M)
        # India's 10:30+05:30 is 05:00 UTC: after midnight, before 08:00.
        self.assertEqual(titles, ["Morning", "India", "Midnight"])
        rc, out, _ = dump("gemini://localhost/atom.xml", self.dir)
        feed = feedparser.parse(out.split(b"\r\n", 1)[1])
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        entries = {e.title: e for e in feed.entries}
        self.assertIn("<published>2026-03-28T10:30:00+05:30</published>",
                      out.decode())
        india = entries["India"]
        self.assertEqual(tuple(india.published_parsed)[:5], (2026, 3, 28, 5, 0))
        self.assertEqual(tuple(india.updated_parsed)[:5], (2026, 4, 2, 7, 0))
        self.assertEqual(tuple(entries["Midnight"].updated_parsed)[:4],
                         (2026, 3, 28, 0))
        # The feed was last updated when India was.
        self.assertEqual(tuple(feed.feed.updated_parsed)[:5], (2026, 4, 2, 7, 0))

    def test_problems_never_print_raw_control_characters(self):
        # Names with terminal escapes, a next-line or a right-to-left
        # override: refused or reported, and always shown escaped.
        names = ["esc\x1b[31mred.txt", "nel\u0085x.txt", "rlo\u202etxt.exe",
                 "tab\tname.txt"]
        for name in names:
            self.put("files/" + name, "x\n")
        self.put("posts/evil\u2028name.md", "---\ntitle: E\ndate: 2025-01-01\n"
                 "---\nx\n")
        rc, out, err = pollux("--check", capsule=self.dir)
        self.assertEqual(rc, 1)
        for raw in ("\x1b", "\u0085", "\u202e", "\u2028", "\t"):
            self.assertNotIn(raw, err)
        self.assertIn("files/esc\\x1B[31mred.txt:1: ", err)
        self.assertIn("files/nel\\u0085x.txt:1: ", err)
        self.assertIn("posts/evil\\u2028name.md:1: ", err)
        rc, out, _ = dump("gemini://localhost/files/", self.dir)
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn("\u0085".encode(), out)

    def test_odd_file_names_are_linked_escaped(self):
        # Names a file system allows but a URL does not carry as they are.
        names = ["a b.txt", "h#x.txt", "q?r.txt", "p%41q.txt", "pAq.txt",
                 "nb\u00a0sp.txt", "em\u2003sp.txt", "caf\u00e9.txt",
                 "semi;colon=1&x+y.txt", "in dir/x y.txt"]
        for i, name in enumerate(names):
            self.put("files/" + name, "file %d: %s\n" % (i, name))
        self.put("top #1.txt", "top\n")
        rc, out, err = dump("gemini://localhost/files/", self.dir)
        self.assertEqual(rc, 0, err)
        links = {}
        for line in out.decode().split("\n"):
            if line.startswith("=> "):
                url, _, label = line[3:].partition(" ")
                links[label] = url
        for name in names[:-1] + ["in dir/"]:
            label = name
            url = links[label]
            # One token for every client, however it splits on spaces,
            # and nothing a URL cannot carry.
            self.assertEqual(url.split(), [url], url)
            self.assertFalse(set(url) & set(" #?\"<>\\^`{|}"), url)
            self.assertRegex(url, r"^/files/")
            rc, got, err = dump("gemini://localhost" + url, self.dir)
            if name.endswith("/"):
                self.assertTrue(got.startswith(b"20 text/gemini"), got[:40])
                sub = re.search(r"^=> (\S+) x y\.txt$", got.decode(), re.M)
                rc, got, err = dump("gemini://localhost" + sub.group(1),
                                    self.dir)
                name = "in dir/x y.txt"
            with open(os.path.join(self.dir, "files", name), "rb") as f:
                want = f.read()
            head, _, body = got.partition(b"\r\n")
            self.assertTrue(head.startswith(b"20 text/plain"), (url, head))
            self.assertEqual(body, want, url)
        self.assertEqual(links["caf\u00e9.txt"], "/files/caf\u00e9.txt")
        self.assertEqual(links["nb\u00a0sp.txt"], "/files/nb%C2%A0sp.txt")
        self.assertEqual(links["p%41q.txt"], "/files/p%2541q.txt")
        # A folder asked without its slash is redirected, escaped too.
        rc, got, _ = dump("gemini://localhost/files/in%20dir", self.dir)
        self.assertEqual(got, b"31 gemini://localhost/files/in%20dir/\r\n")
        # The home page links top-level files the same way.
        rc, got, _ = dump("gemini://localhost/", self.dir)
        self.assertIn(b"\n=> /top%20%231.txt top #1.txt\n", got)
        rc, got, _ = dump("gemini://localhost/top%20%231.txt", self.dir)
        self.assertTrue(got.startswith(b"20 text/plain"))
        self.assertTrue(got.endswith(b"\r\ntop\n"))

    def test_unreadable_capsule_fails(self):
        rc, out, err = pollux("--check", capsule=self.dir + "/missing")
        self.assertEqual(rc, 1)
        self.assertIn("cannot read the capsule", err)

    def test_empty_capsule_still_serves(self):
        rc, out, err = dump("gemini://localhost/", self.dir)
        self.assertEqual(rc, 0, err)
        self.assertIn(b"Nothing published yet.", out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
