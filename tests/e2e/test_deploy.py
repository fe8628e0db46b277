"""The way an operator runs pollux: started as root with the default
privilege drop and chroot into the capsule, reloaded by SIGHUP and by
edits, with links out of the capsule and root-only files in it, short of
descriptors, and with the capsule folder swapped under it."""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import Pollux, gemini, gopher, run, wait_for  # noqa: E402

POST = "---\ntitle: \"%s\"\ndate: %s\ntags: [live]\n---\n%s\n"
SECRET = b"root-only secret"


def put(root, rel, data, mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path + ".tmp", mode)
    os.rename(path + ".tmp", path)



def capsule_with_traps(root):
    """A capsule with static files, posts, and every kind of link out and
    root-only file that must never be served."""
    os.chmod(root, 0o755)
    put(root, "site.yaml", "title: Deployed\n")
    put(root, "index.md", "Welcome.\n")
    put(root, "about.gmi", "# About\n")
    put(root, "images/x.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    put(root, "notes/a.txt", "A note.\n")
    put(root, "posts/2026-01-01-first.md",
        POST % ("First", "2026-01-01", "First body."))
    # Root-only files: after the drop, nobody can read them.
    put(root, "secret.txt", SECRET, 0o600)
    put(root, "posts/2026-02-01-private.md",
        POST % ("Private", "2026-02-01", SECRET.decode()), 0o600)
    # Links out of the capsule, each where pollux reads something.
    os.symlink("/etc/passwd", os.path.join(root, "passwd.txt"))
    os.symlink("/etc/passwd", os.path.join(root, "posts", "leak.md"))
    os.symlink("/etc", os.path.join(root, "etc"))
    os.symlink(".", os.path.join(root, "loop"))
    for d in ("images", "notes", "posts"):
        os.chmod(os.path.join(root, d), 0o755)
    return root


def fetch_all(srv):
    """What a reader gets for each kind of page, as (status line, body)."""
    out = {}
    for path in ("/", "/about.gmi", "/images/x.png", "/notes/",
                 "/notes/a.txt", "/posts/first.gmi", "/atom.xml",
                 "/secret.txt", "/posts/private.gmi", "/posts/leak.gmi",
                 "/passwd.txt", "/etc/passwd", "/loop/about.gmi"):
        data, _ = gemini(srv.gemini_port, "gemini://localhost%s\r\n" % path)
        head, _, body = data.partition(b"\r\n")
        out[path] = (head.decode(), body)
    for sel in ("/about.gmi", "/notes/a.txt", "/posts/first.txt",
                "/secret.txt", "/passwd.txt"):
        out["gopher:" + sel] = gopher(srv.gopher_port, sel.encode() + b"\r\n")
    return out


@unittest.skipUnless(os.geteuid() == 0, "the deployment starts as root")
class RootChroot(unittest.TestCase):
    def setUp(self):
        self.capsule = capsule_with_traps(tempfile.mkdtemp(prefix="pollux-dep-"))
        self.srv = Pollux(self.capsule, ipv6=False, chroot_capsule=True)

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.capsule)
        self.assertEqual(rc, 0, self.srv.stderr())

    def reloads(self):
        return self.srv.stderr().count("reloaded:")

    def check_served(self, pages):
        for path in ("/", "/about.gmi", "/images/x.png", "/notes/",
                     "/notes/a.txt", "/posts/first.gmi", "/atom.xml"):
            self.assertTrue(pages[path][0].startswith("20 "), (path, pages[path]))
        self.assertTrue(pages["/about.gmi"][1] == b"# About\n")
        self.assertIn(b"a.txt", pages["/notes/"][1])
        for sel in ("/about.gmi", "/notes/a.txt", "/posts/first.txt"):
            self.assertFalse(pages["gopher:" + sel].startswith(b"3"), sel)
        # Nothing outside the capsule, nothing only root may read.
        for path in ("/secret.txt", "/posts/private.gmi", "/posts/leak.gmi",
                     "/passwd.txt", "/etc/passwd", "/loop/about.gmi"):
            self.assertEqual(pages[path][0], "51 Not found", path)
        for sel in ("/secret.txt", "/passwd.txt"):
            self.assertTrue(pages["gopher:" + sel].startswith(b"3"), sel)
        for key, page in pages.items():
            body = page[1] if isinstance(page, tuple) else page
            self.assertNotIn(b"root:x:0:0", body, key)
            self.assertNotIn(SECRET, body, key)

    def test_runs_as_nobody_in_the_capsule(self):
        status = open("/proc/%d/status" % self.srv.proc.pid).read()
        uid = pwd.getpwnam("nobody").pw_uid
        uids = [l for l in status.splitlines() if l.startswith("Uid:")][0]
        self.assertEqual(uids.split()[1:], [str(uid)] * 4)
        self.assertEqual(os.readlink("/proc/%d/root" % self.srv.proc.pid),
                         os.path.realpath(self.capsule))
        self.check_served(fetch_all(self.srv))
        err = self.srv.stderr()
        for name in ("passwd.txt", "posts/leak.md", "etc", "loop",
                     "secret.txt", "posts/2026-02-01-private.md"):
            self.assertIn(name + ":1: ", err)

    def test_sighup_and_edits_keep_everything(self):
        self.check_served(fetch_all(self.srv))
        self.srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads() >= 1), self.srv.stderr())
        self.check_served(fetch_all(self.srv))
        # An edit, seen by the watcher inside the chroot.
        put(self.capsule, "posts/2026-03-01-second.md",
            POST % ("Second", "2026-03-01", "Second body."))
        self.assertTrue(wait_for(lambda: gemini(
            self.srv.gemini_port, "gemini://localhost/posts/second.gmi\r\n")
            [0].startswith(b"20 ")), self.srv.stderr())
        pages = fetch_all(self.srv)
        self.check_served(pages)
        self.assertIn(b"second.gmi", gemini(
            self.srv.gemini_port, "gemini://localhost/atom.xml\r\n")[0])
        # A new link out, added while serving, is not followed either.
        os.symlink("/etc/shadow", os.path.join(self.capsule, "shadow.txt"))
        n = self.reloads()
        self.srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.reloads() > n))
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/shadow.txt\r\n")
        self.assertEqual(data, b"51 Not found\r\n")

    def set_nofile(self, soft):
        """prlimit on the server, as its own user: root here lacks
        CAP_SYS_RESOURCE, and the server is nobody now."""
        nobody = pwd.getpwnam("nobody")
        subprocess.run(
            ["prlimit", "--pid", str(self.srv.proc.pid), "--nofile=%d:" % soft],
            user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[],
            check=True, timeout=20)

    def test_reload_out_of_descriptors_keeps_the_site(self):
        pid = self.srv.proc.pid
        limits = open("/proc/%d/limits" % pid).read()
        old = [l.split()[3] for l in limits.splitlines()
               if l.startswith("Max open files")][0]
        # As many descriptors as are open now: any open fails.
        self.set_nofile(len(os.listdir("/proc/%d/fd" % pid)))
        try:
            self.srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "reload failed" in
                                     self.srv.stderr()), self.srv.stderr())
            self.assertIn("Too many open files", self.srv.stderr())
        finally:
            self.set_nofile(int(old))
        # The retry finds descriptors again; nothing was lost meanwhile.
        self.assertTrue(wait_for(lambda: self.reloads() >= 1), self.srv.stderr())
        self.assertNotIn("reloaded: 0 posts", self.srv.stderr())
        self.check_served(fetch_all(self.srv))


class Watching(unittest.TestCase):
    """Live reload as editors and deploy scripts change files."""

    def setUp(self):
        self.parent = tempfile.mkdtemp(prefix="pollux-watch-")
        os.chmod(self.parent, 0o755)
        self.capsule = os.path.join(self.parent, "capsule")
        os.mkdir(self.capsule)
        capsule_with_traps(self.capsule)
        # Chrooted to the parent, so the capsule folder itself can be
        # replaced (inside a chroot into the capsule it could not be).
        self.srv = Pollux(self.capsule, ipv6=False,
                          chroot=self.parent if os.geteuid() == 0 else None)

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.parent)
        self.assertEqual(rc, 0, self.srv.stderr())

    def page(self, path):
        return gemini(self.srv.gemini_port, "gemini://localhost%s\r\n" % path)[0]

    def test_post_written_in_two_halves_is_never_served_half(self):
        path = os.path.join(self.capsule, "posts", "halves.md")
        seen = []
        with open(path, "w") as f:
            os.chmod(path, 0o644)
            f.write(POST % ("Halves", "2026-04-01", "first half"))
            f.flush()
            deadline = time.monotonic() + 0.6
            while time.monotonic() < deadline:
                seen.append(self.page("/posts/halves.gmi"))
                time.sleep(0.02)
            f.write("second half\n")
        self.assertTrue(wait_for(lambda: b"second half" in
                                 self.page("/posts/halves.gmi")))
        for data in seen:
            self.assertTrue(data.startswith(b"51 "), data[:80])

    def assert_follows_swap(self, swap):
        old = os.path.join(self.parent, "old")
        new = os.path.join(self.parent, "new")
        shutil.copytree(self.capsule, new, symlinks=True)
        put(new, "about.gmi", "# About, new\n")
        swap(old, new)
        self.assertTrue(wait_for(lambda: self.page("/about.gmi").endswith(
            b"# About, new\n"), 30), self.srv.stderr())
        # And the new folder is watched: a later edit is seen too.
        put(self.capsule, "about.gmi", "# About, newer\n")
        self.assertTrue(wait_for(lambda: self.page("/about.gmi").endswith(
            b"# About, newer\n"), 30), self.srv.stderr())

    def test_capsule_removed_and_restored(self):
        def swap(old, new):
            os.rename(self.capsule, old)
            time.sleep(1.5)           # a reload fails meanwhile
            os.rename(new, self.capsule)
        self.assert_follows_swap(swap)

    def test_capsule_swapped_by_two_renames(self):
        def swap(old, new):
            os.rename(self.capsule, old)
            time.sleep(0.2)
            os.rename(new, self.capsule)
        self.assert_follows_swap(swap)


if __name__ == "__main__":
    sys.exit(run(__name__))
