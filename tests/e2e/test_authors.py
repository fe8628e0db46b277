"""For readers and authors, end to end on both protocols: tags of any text
(C++, C#, Émigré, node.js, machine learning) and their feeds, "updated"
after a post's date, old paths that still answer (aliases and site.yaml's
redirects), --check's report of links to nothing, and feeds that are
valid Atom with typed links and one entry id per post on both protocols.
Python's ssl for Gemini, raw sockets and curl for Gopher, feedparser and
the RFC 4287 rules for feeds."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import feedparser

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import POLLUX, Pollux, gemini, gopher, run  # noqa: E402

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                     r"(Z|[+-]\d\d:\d\d)$")
TAGS = {"C++": "c-plus-plus", "C#": "c-sharp", "Émigré": "emigre",
        "node.js": "node-js", "machine learning": "machine-learning"}


def put(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())


def new_capsule(prefix):
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)   # readable by the user a root server becomes
    return root


def check(capsule):
    r = subprocess.run([POLLUX, "--capsule", capsule, "--check"],
                       capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def curl(url):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", url],
                       capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout


def menu(data):
    """(type, display, selector) of each line of a well-formed menu."""
    assert data.endswith(b"\r\n.\r\n"), data[-40:]
    out = []
    for line in data[:-3].decode().split("\r\n")[:-1]:
        fields = line[1:].split("\t")
        assert len(fields) == 4, repr(line)
        out.append((line[0], fields[0], fields[1]))
    return out


def atom_rules(test, xml):
    """RFC 4287's rules a reader depends on (4.1.1, 4.1.2, 4.2.7): one
    id, title and updated (RFC 3339) per feed and entry, an author for
    each entry (its own or the feed's), a typed alternate link on each
    entry and at most one per type on the feed, categories with a term.
    Returns the root element."""
    root = ET.fromstring(xml)
    test.assertEqual(root.tag, ATOM + "feed")

    def one(el, name):
        found = el.findall(ATOM + name)
        test.assertEqual(len(found), 1, (name, ET.tostring(el)[:200]))
        test.assertTrue((found[0].text or "").strip(), name)
        return found[0].text

    for name in ("id", "title"):
        one(root, name)
    test.assertRegex(one(root, "updated"), RFC3339)
    feed_author = root.findall(ATOM + "author")
    for a in feed_author:
        one(a, "name")
    alternates = [(l.get("type"), l.get("hreflang"))
                  for l in root.findall(ATOM + "link")
                  if l.get("rel", "alternate") == "alternate"]
    test.assertEqual(len(alternates), len(set(alternates)))
    for l in root.findall(ATOM + "link"):
        test.assertTrue(l.get("href") and l.get("type"), l.attrib)
    ids = []
    for e in root.findall(ATOM + "entry"):
        ids.append(one(e, "id"))
        one(e, "title")
        test.assertRegex(one(e, "updated"), RFC3339)
        for p in e.findall(ATOM + "published"):
            test.assertRegex(p.text, RFC3339)
        test.assertTrue(feed_author or e.findall(ATOM + "author"))
        alt = [l for l in e.findall(ATOM + "link")
               if l.get("rel", "alternate") == "alternate"]
        test.assertEqual(len(alt), 1)
        test.assertTrue(alt[0].get("type") and alt[0].get("href"))
        for c in e.findall(ATOM + "category"):
            test.assertTrue(c.get("term"))
    test.assertEqual(len(ids), len(set(ids)), "entry ids are unique")
    return root


class Authors(unittest.TestCase):
    """A capsule with every feature in use, served."""

    @classmethod
    def setUpClass(cls):
        c = cls.capsule = new_capsule("pollux-authors-")
        put(c, "site.yaml", "title: Authors\nauthor: Ana Writer\n"
            "icon: /images/icon.png\nredirects:\n"
            "  - from: /old-about.gmi\n    to: /about.gmi\n"
            "  - from: /2019/\n    to: /posts/\n")
        put(c, "images/icon.png", b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
        put(c, "about.gmi", "# About\n=> /posts/ Posts\n")
        # The oldest post spells the tags as shown; a newer one writes
        # "c++", which is the same tag.
        put(c, "posts/2025-05-01-first.md",
            "---\ntitle: First\ndate: 2025-05-01\n"
            "tags: [C++, \"C#\", Émigré, node.js, machine learning]\n"
            "---\nThe first post.\n")
        put(c, "posts/2026-03-28-moved.md",
            "---\ntitle: Moved post\ndate: 2026-03-28T10:30:00+05:30\n"
            "updated: 2026-04-02 09:00:00 +0200\ntags: [c++, émigré]\n"
            "aliases:\n  - /posts/old-name.gmi\n  - /2024/05/old-name/\n"
            "  - old-name.txt\n---\nA post that was renamed. "
            "Its [old self](/posts/old-name.gmi).\n")
        cls.srv = Pollux(c, ipv6=False)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.capsule)
        assert rc == 0, cls.srv.stderr()

    def gem(self, path):
        data, _ = gemini(self.srv.gemini_port,
                         "gemini://localhost%s\r\n" % path)
        head, _, body = data.partition(b"\r\n")
        return head.decode(), body.decode()

    def goph(self, selector):
        return gopher(self.srv.gopher_port, selector.encode() + b"\r\n")

    # --- any tag ------------------------------------------------------

    def test_check_notes_the_second_spelling(self):
        rc, out, err = check(self.capsule)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertIn("posts/2026-03-28-moved.md:5: note: tag \"c++\" is "
                      "the tag \"C++\" (/tags/c-plus-plus/)", out)
        self.assertIn("5 tags", out)

    def test_tags_on_gemini(self):
        head, body = self.gem("/tags/")
        self.assertTrue(head.startswith("20 text/gemini"), head)
        for name, path in TAGS.items():
            n = 2 if path in ("c-plus-plus", "emigre") else 1
            self.assertIn("=> /tags/%s/ %s (%d post%s)\n" % (
                path, name, n, "s" if n > 1 else ""), body)
            head, page = self.gem("/tags/%s/" % path)
            self.assertTrue(head.startswith("20 "), (path, head))
            self.assertIn("posts tagged %s" % name, page)
            self.assertIn("=> /posts/first.gmi 2025-05-01 First", page)
            head, _ = self.gem("/tags/%s" % path)
            self.assertEqual(head, "31 gemini://localhost/tags/%s/" % path)
        # A post shows the names as first spelled, and links the paths.
        _, post = self.gem("/posts/moved.gmi")
        self.assertIn("· C++, Émigré\n", post)
        self.assertIn("=> /tags/c-plus-plus/ #C++\n", post)
        self.assertIn("=> /tags/emigre/ #Émigré\n", post)
        # Percent-encoded as a client may send it: the same page.
        head, _ = self.gem("/tags/" + urllib.parse.quote("c-plus-plus") + "/")
        self.assertTrue(head.startswith("20 "))

    def test_tags_on_gopher(self):
        items = menu(self.goph("/tags/"))
        for name, path in TAGS.items():
            self.assertTrue(any(t == "1" and d.startswith(name + " (") and
                                s == "/tags/%s/" % path
                                for t, d, s in items), (name, items))
            tag = menu(curl("gopher://127.0.0.1:%d/1/tags/%s/" %
                            (self.srv.gopher_port, path)))
            self.assertTrue(tag[0][1].endswith("posts tagged " + name), tag[0])
            self.assertIn(("1", "2025-05-01 First", "/posts/first/"), tag)
        post = menu(self.goph("/posts/first/"))
        for name, path in TAGS.items():
            self.assertIn(("1", "#" + name, "/tags/%s/" % path), post)

    def test_tag_feeds(self):
        for path, name in (("c-plus-plus", "C++"), ("emigre", "Émigré"),
                           ("machine-learning", "machine learning")):
            data, _ = gemini(self.srv.gemini_port,
                             "gemini://localhost/tags/%s/atom.xml\r\n" % path)
            head, _, body = data.partition(b"\r\n")
            self.assertEqual(head, b"20 application/atom+xml")
            for xml in (body, self.goph("/tags/%s/atom.xml" % path)):
                feed = feedparser.parse(xml)
                self.assertFalse(feed.bozo, feed.get("bozo_exception"))
                self.assertEqual(feed.feed.title, "Authors: " + name)
                for e in feed.entries:
                    terms = {t.term: t.label for t in e.tags}
                    self.assertEqual(terms.get(path), name, terms)

    # --- updated ------------------------------------------------------

    def test_updated_after_the_date(self):
        want = "2026-03-28 · updated 2026-04-02 · 1 min read"
        self.assertIn(want, self.gem("/posts/moved.gmi")[1])
        self.assertIn(want, self.goph("/posts/moved/").decode())
        self.assertIn(want, self.goph("/posts/moved.txt").decode())
        self.assertNotIn("updated", self.gem("/posts/first.gmi")[1])
        # Index cards keep one date.
        self.assertNotIn("updated", self.gem("/")[1])

    # --- moved posts --------------------------------------------------

    def test_aliases_on_gemini(self):
        for old in ("/posts/old-name.gmi", "/2024/05/old-name/",
                    "/2024/05/old-name", "/posts/old-name.txt"):
            self.assertEqual(self.gem(old)[0],
                             "31 gemini://localhost/posts/moved.gmi", old)
        # The link to the old address goes to the new one.
        self.assertIn("=> /posts/moved.gmi old self\n",
                      self.gem("/posts/moved.gmi")[1])

    def test_aliases_on_gopher(self):
        menu_page = self.goph("/posts/moved/")
        text = self.goph("/posts/moved.txt")
        self.assertTrue(text.startswith(b"Moved post\r\n"))
        # A folder-like or .gmi old path serves the menu, .txt the text.
        self.assertEqual(self.goph("/2024/05/old-name/"), menu_page)
        self.assertEqual(self.goph("/2024/05/old-name"), menu_page)
        self.assertEqual(self.goph("/posts/old-name.gmi"), menu_page)
        self.assertEqual(self.goph("/posts/old-name.txt"), text)
        self.assertEqual(curl("gopher://127.0.0.1:%d/0/posts/old-name.txt" %
                              self.srv.gopher_port), text)

    def test_site_redirects(self):
        self.assertEqual(self.gem("/old-about.gmi")[0],
                         "31 gemini://localhost/about.gmi")
        self.assertEqual(self.gem("/2019/")[0], "31 gemini://localhost/posts/")
        self.assertEqual(self.gem("/2019")[0], "31 gemini://localhost/posts/")
        self.assertEqual(self.goph("/old-about.gmi"), self.goph("/about.gmi"))
        self.assertEqual(self.goph("/2019/"), self.goph("/posts/"))

    # --- feeds --------------------------------------------------------

    def feeds(self):
        """(protocol, feed bytes) of the capsule's main feed."""
        data, _ = gemini(self.srv.gemini_port,
                         "gemini://localhost/atom.xml\r\n")
        yield "gemini", data.partition(b"\r\n")[2]
        yield "gopher", self.goph("/atom.xml")

    def test_feeds_follow_rfc_4287(self):
        paths = ["/atom.xml"] + ["/tags/%s/atom.xml" % p
                                 for p in TAGS.values()]
        for path in paths:
            data, _ = gemini(self.srv.gemini_port,
                             "gemini://localhost%s\r\n" % path)
            for xml in (data.partition(b"\r\n")[2], self.goph(path)):
                atom_rules(self, xml)
                self.assertFalse(feedparser.parse(xml).bozo, path)

    def test_typed_links_author_and_icon(self):
        for proto, xml in self.feeds():
            root = atom_rules(self, xml)
            links = {l.get("rel"): l for l in root.findall(ATOM + "link")}
            self.assertEqual(links["self"].get("type"), "application/atom+xml")
            entry_type = "text/gemini" if proto == "gemini" else "text/plain"
            feed_type = ("text/gemini" if proto == "gemini" else
                         "application/gopher-menu")
            self.assertEqual(links["alternate"].get("type"), feed_type)
            for e in root.findall(ATOM + "entry"):
                link = e.find(ATOM + "link")
                self.assertEqual(link.get("type"), entry_type)
                self.assertTrue(link.get("href").startswith(proto + "://"))
            self.assertEqual(root.find(ATOM + "author/" + ATOM + "name").text,
                             "Ana Writer")
            icon = root.find(ATOM + "icon").text
            if proto == "gemini":
                self.assertEqual(icon, "gemini://localhost:%d/images/icon.png"
                                 % self.srv.gemini_port)
            else:
                self.assertEqual(icon, "gopher://localhost:%d/I/images/icon.png"
                                 % self.srv.gopher_port)
            feed = feedparser.parse(xml)
            self.assertFalse(feed.bozo, feed.get("bozo_exception"))
            self.assertEqual(feed.feed.author, "Ana Writer")

    def test_one_entry_id_on_both_protocols(self):
        ids = {proto: [e.id for e in feedparser.parse(xml).entries]
               for proto, xml in self.feeds()}
        self.assertEqual(ids["gemini"], ids["gopher"])
        self.assertEqual(ids["gemini"], ["tag:localhost,2026-03-28:moved",
                                         "tag:localhost,2025-05-01:first"])
        # The times as written, offsets kept.
        _, xml = next(self.feeds())
        self.assertIn(b"<published>2026-03-28T10:30:00+05:30</published>", xml)
        self.assertIn(b"<updated>2026-04-02T09:00:00+02:00</updated>", xml)


class Problems(unittest.TestCase):
    """A capsule with broken links and paths moved onto real pages: --check
    reports each at its line, and the server still serves the rest."""

    @classmethod
    def setUpClass(cls):
        c = cls.capsule = new_capsule("pollux-problems-")
        put(c, "site.yaml", "title: Problems\nicon: /missing-icon.png\n"
            "redirects:\n"
            "  - from: /about.gmi\n    to: /\n"            # line 4: real
            "  - from: /gone/\n    to: /nowhere.gmi\n")     # line 6: nothing
        put(c, "index.md", "Welcome.\n\n[All posts](/posts/) and "
            "[a lost page](/lost.gmi).\n")
        put(c, "about.gmi", "# About\n```\n=> /not-a-link\n```\n"
            "=> /posts/ fine\n=> gemini://elsewhere.example/ elsewhere\n"
            "=> missing.gmi broken\n")
        put(c, "notes/page.md", "# Notes\n\nSee ![the plan](plan.png).\n")
        put(c, "posts/2026-01-02-a.md",
            "---\ntitle: A\ndate: 2026-01-02\naliases: [/posts/b.gmi]\n"
            "---\nFirst line.\n\nA [missing post](missing.md), "
            "[b](2026-01-03-b.md) and\n![a gone image](../images/gone.png).\n"
            "\n| col | link |\n|---|---|\n| x | [t](/tags/nope/) |\n\n"
            "[Elsewhere](https://example.org/) and [search](/search).\n")
        put(c, "posts/2026-01-03-b.md",
            "---\ntitle: B\ndate: 2026-01-03\n---\nBack to [a](a.md).\n")
        cls.srv = Pollux(c, ipv6=False)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.capsule)
        assert rc == 0, cls.srv.stderr()

    def test_check_reports_each_link_at_its_line(self):
        rc, out, err = check(self.capsule)
        self.assertEqual(rc, 1, err)
        want = [
            "index.md:3: link to /lost.gmi: not found",
            "posts/2026-01-02-a.md:8: link to /posts/missing.md: not found",
            "posts/2026-01-02-a.md:9: link to /images/gone.png: not found",
            "posts/2026-01-02-a.md:13: link to /tags/nope/: not found",
            "about.gmi:7: link to /missing.gmi: not found",
            "notes/page.md:3: link to /notes/plan.png: not found",
            "site.yaml:2: icon /missing-icon.png: not found",
            "site.yaml:4: /about.gmi is a page pollux serves; not moved",
            "site.yaml:6: redirect to /nowhere.gmi: not found",
            "posts/2026-01-02-a.md:4: /posts/b.gmi is a page pollux serves;"
            " not moved",
        ]
        lines = err.splitlines()
        for w in want:
            self.assertIn(w, lines)
        self.assertEqual(lines[-1], "%s: %d problems" % (self.capsule,
                                                         len(want)))
        # Links elsewhere, to posts, to the search: not problems.
        self.assertNotIn("example.org", err)
        self.assertNotIn("/search", err)
        self.assertNotIn("not-a-link", err)

    def test_the_rest_is_served_on_both_protocols(self):
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/about.gmi\r\n")
        self.assertTrue(data.startswith(b"20 text/gemini"), data[:40])
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/posts/b.gmi\r\n")
        self.assertIn(b"# B", data)
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/gone/\r\n")
        self.assertTrue(data.startswith(b"51 "), data)
        self.assertTrue(gopher(self.srv.gopher_port,
                               b"/about.gmi\r\n").startswith(b"iAbout\t"))
        self.assertTrue(gopher(self.srv.gopher_port,
                               b"/gone/\r\n").startswith(b"3"))
        # The server says the same problems when it loads.
        self.assertIn("link to /lost.gmi: not found", self.srv.stderr())


if __name__ == "__main__":
    sys.exit(run(__name__))
