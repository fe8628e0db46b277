"""Search, built in, on both protocols: Gemini's 10 prompt and results,
Gopher's type 7 item with the words after a tab (curl and lynx), with
Unicode, empty, over-long and no-match queries; and both fingerprints."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import Pollux, gemini, gopher, run, write_capsule  # noqa: E402

POST = "---\ntitle: \"%s\"\ndate: %s\ntags: [%s]\n---\n%s\n"


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-search-"))
        os.remove(os.path.join(cls.capsule, "big.bin"))
        posts = os.path.join(cls.capsule, "posts")
        with open(os.path.join(posts, "emigre.md"), "w") as f:
            f.write(POST % ("Émigré writers in Paris", "2026-04-01", "books",
                            "A café on the Left Bank. 東京 too.\n\n" +
                            "Filler words. " * 200 + "The hidden needle."))
        os.chmod(os.path.join(posts, "emigre.md"), 0o644)
        cls.srv = Pollux(cls.capsule, ipv6=False)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.capsule)
        assert rc == 0, cls.srv.stderr()

    def ask(self, query):
        q = urllib.parse.quote(query, safe="")
        data, _ = gemini(self.srv.gemini_port,
                         "gemini://localhost/search?%s\r\n" % q)
        return data.decode()

    def test_prompt_then_results(self):
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/search\r\n")
        self.assertTrue(data.startswith(b"10 "), data)
        page = self.ask("radar")
        self.assertTrue(page.startswith("20 text/gemini"), page[:80])
        # The post with the word in its title first; the other only
        # links to it by that word.
        self.assertLess(page.index("=> /posts/radar.gmi 2026-03-28 Radar post"),
                        page.index("=> /posts/payments.gmi"))
        self.assertNotIn("Émigré", page)

    def test_every_word_case_and_accents(self):
        self.assertIn("Émigré writers", self.ask("EMIGRE cafe"))
        self.assertIn("Émigré writers", self.ask("émigré"))
        self.assertIn("Émigré writers", self.ask("東京"))
        page = self.ask("radar emigre")
        self.assertIn("No post has every word", page)

    def test_excerpt_around_the_match(self):
        page = self.ask("needle")
        self.assertIn("The hidden needle.", page)
        self.assertIn("…", page)
        self.assertLess(len(page), 2000)

    def test_bad_and_odd_queries(self):
        data, _ = gemini(self.srv.gemini_port,
                         "gemini://localhost/search?%FF%FE\r\n")
        self.assertTrue(data.startswith(b"59 "), data)
        data, _ = gemini(self.srv.gemini_port,
                         "gemini://localhost/search?a%00b\r\n")
        self.assertTrue(data.startswith(b"59 "), data)
        self.assertIn("No post has every word", self.ask("zebra"))
        self.assertIn("No post has every word", self.ask(",;!"))
        # Over-long: the URL limit answers first; under it, the query is
        # cut to its first 256 bytes.
        self.assertIn("Radar post", self.ask("radar" + " " * 300 + "zebra"))
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/search?" +
                         "a" * 1100 + "\r\n")
        self.assertTrue(data.startswith(b"59 "), data)

    def test_gopher_type_7(self):
        home = gopher(self.srv.gopher_port, b"/\r\n").decode()
        self.assertIn("7Search the posts\t/search\t", home)
        menu = gopher(self.srv.gopher_port, "/search\tÉMIGRÉ\r\n".encode())
        self.assertIn(b"\t/posts/emigre/\t", menu)
        self.assertTrue(menu.endswith(b".\r\n"))
        # curl sends the words after a tab (%09) for a type 7 URL.
        out = subprocess.run(
            ["curl", "-s", "gopher://127.0.0.1:%d/7/search%%09radar" %
             self.srv.gopher_port], capture_output=True, timeout=20).stdout
        self.assertIn(b"Radar post", out)
        # Without words: an error line that says how to ask.
        self.assertTrue(gopher(self.srv.gopher_port,
                               b"/search\r\n").startswith(b"3"))

    def test_lynx_follows_the_search_item(self):
        # lynx shows a type 7 item as a form; dumping the search URL with
        # the words after %09 is what its submit sends.
        out = subprocess.run(
            ["lynx", "-dump", "-nolist", "gopher://127.0.0.1:%d/7/search%%09"
             "cafe" % self.srv.gopher_port], capture_output=True,
            timeout=30).stdout.decode()
        self.assertIn("Émigré writers in Paris", out)


if __name__ == "__main__":
    sys.exit(run(__name__))
