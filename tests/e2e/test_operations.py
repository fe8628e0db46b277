"""Running pollux for a long time: live reload under load, SIGHUP, broken
posts on reload, privilege drop when started as root, graceful stop with a
request in flight, and the config file."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pollux_harness import (POLLUX, Pollux, gemini, gopher, run, wait_for,  # noqa: E402
                            write_capsule)

POST = "---\ntitle: \"%s\"\ndate: %s\ntags: [live]\n---\n%s\n"


def open_to_all(root):
    """After a privilege drop the server reads the capsule as nobody."""
    os.chmod(root, 0o755)
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)   # as editors do: the post is never half written



class Reload(unittest.TestCase):
    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        os.remove(os.path.join(self.capsule, "big.bin"))
        self.live = os.path.join(self.capsule, "posts", "live.md")
        write(self.live, POST % ("Live", "2026-05-01", "version 0"))
        open_to_all(self.capsule)
        self.srv = Pollux(self.capsule, ipv6=False)

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.capsule)
        self.assertEqual(rc, 0, self.srv.stderr())

    def page(self):
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/posts/live.gmi\r\n")
        return data

    def test_edits_under_load(self):
        failures, answers, stop = [], [0], threading.Event()

        def client():
            while not stop.is_set():
                try:
                    data, clean = gemini(self.srv.gemini_port,
                                         "gemini://localhost/posts/live.gmi\r\n")
                    ok = clean and (data.startswith(b"51 ") or (
                        data.startswith(b"20 text/gemini") and
                        data.endswith(b"=> / Home\n") and
                        data.count(b"version ") == 1))
                    if not ok:
                        failures.append(data[:200])
                    menu = gopher(self.srv.gopher_port, b"/posts/\r\n")
                    if not menu.endswith(b"\r\n.\r\n"):
                        failures.append(menu[-100:])
                    answers[0] += 1
                except OSError as e:
                    failures.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            for i in range(1, 51):
                if i % 10 == 5:
                    os.remove(self.live)           # removed...
                    self.assertTrue(wait_for(lambda: self.page().startswith(b"51 ")))
                extra = os.path.join(self.capsule, "posts", "extra-%d.md" % i)
                write(extra, POST % ("Extra %d" % i, "2026-04-01", "x"))
                write(self.live, POST % ("Live", "2026-05-01", "version %d" % i))
                want = ("version %d" % i).encode()
                self.assertTrue(wait_for(lambda: want in self.page()), i)
                os.remove(extra)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        self.assertGreater(answers[0], 50)
        # Fifty reloads later, every old snapshot has been freed and no
        # connection or buffer is left behind: asked of the server, not
        # read from resident memory (ASan's quarantine alone holds 256 MiB).
        self.assertTrue(wait_for(lambda: self.srv.stats()["snapshots"] == 1),
                        self.srv.stats())
        stats = self.srv.stats()
        self.assertEqual(stats["connections"], 0, stats)
        self.assertEqual(stats["held"], 0, stats)

    def test_an_edit_renders_one_post_again(self):
        # The body of one post: a reload reads that file again and renders
        # that post alone; the other two keep the pages they had.
        path = os.path.join(self.capsule, "posts", "2025-08-01-payments.md")
        write(path, "---\ntitle: \"Payments post\"\nsummary: \"About "
              "payments.\"\ndate: 2025-08-01\ntags: [django, payments]\n"
              "---\nSee [radar](2026-03-28-radar.md), edited.\n")
        self.assertTrue(wait_for(lambda: b"edited" in gemini(
            self.srv.gemini_port,
            "gemini://localhost/posts/payments.gmi\r\n")[0]), self.srv.stderr())
        # (How many files it read again depends on the clock: one written
        # less than a second before it was read is read again.)
        self.assertTrue(wait_for(lambda: "reloaded: 3 posts (1 re-rendered, "
                                 "2 reused;" in self.srv.stderr()),
                        self.srv.stderr())

    def test_sighup_and_broken_post(self):
        write(os.path.join(self.capsule, "posts", "broken.md"),
              "---\ntitle: Broken\ndate: 2026-02-30\n---\n")
        write(os.path.join(self.capsule, "posts", "fresh.md"),
              POST % ("Fresh", "2026-06-01", "new"))
        self.srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: b"fresh.gmi" in gemini(
            self.srv.gemini_port, "gemini://localhost/posts/\r\n")[0]))
        self.assertTrue(wait_for(lambda: "posts/broken.md:3:" in self.srv.stderr()))
        data, _ = gemini(self.srv.gemini_port, "gemini://localhost/posts/live.gmi\r\n")
        self.assertTrue(data.startswith(b"20 "))

    def test_unreadable_capsule_keeps_old_snapshot(self):
        # Started as root, the server reads as nobody from inside a chroot
        # of the capsule: taking the folder's permissions away makes it
        # unreadable there (renaming it would not).
        if os.geteuid() != 0:
            self.skipTest("needs the privilege drop")
        os.chmod(self.capsule, 0)
        try:
            self.srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "still serving" in self.srv.stderr()))
            data, _ = gemini(self.srv.gemini_port, "gemini://localhost/posts/live.gmi\r\n")
            self.assertTrue(data.startswith(b"20 "))
        finally:
            os.chmod(self.capsule, 0o755)


class Privileges(unittest.TestCase):
    def setUp(self):
        self.capsule = write_capsule(tempfile.mkdtemp(prefix="pollux-cap-"))
        open_to_all(self.capsule)

    def tearDown(self):
        shutil.rmtree(self.capsule)

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_root_drops_to_nobody_in_a_chroot(self):
        srv = Pollux(self.capsule, ipv6=False, chroot_capsule=True)
        try:
            status = open("/proc/%d/status" % srv.proc.pid).read()
            uid = pwd.getpwnam("nobody").pw_uid
            uids = [l for l in status.splitlines() if l.startswith("Uid:")][0]
            self.assertEqual(uids.split()[1:], [str(uid)] * 4)
            self.assertEqual(os.readlink("/proc/%d/root" % srv.proc.pid),
                             os.path.realpath(self.capsule))
            data, _ = gemini(srv.gemini_port, "gemini://localhost/\r\n")
            self.assertTrue(data.startswith(b"20 "))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_refuses_to_run_as_root(self):
        r = subprocess.run([POLLUX, "--capsule", self.capsule, "--user", "root",
                            "--listen", "127.0.0.1", "--gemini-port", "0",
                            "--gopher-port", "0"], capture_output=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)

    def test_graceful_stop_finishes_request_in_flight(self):
        srv = Pollux(self.capsule, ipv6=False)
        want = open(os.path.join(self.capsule, "big.bin"), "rb").read()
        s = socket.create_connection(("127.0.0.1", srv.gopher_port), 10)
        # Not reading for a while keeps the reply queued in the server.
        s.sendall(b"/big.bin\r\n")
        first = s.recv(1000)
        time.sleep(0.2)
        srv.proc.send_signal(signal.SIGTERM)
        # A second signal while another worker is still answering must
        # not kill the process.
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        data = first
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(data, want)
        self.assertEqual(srv.stop(), 0, srv.stderr())


class ConfigFile(unittest.TestCase):
    def test_unknown_key_names_the_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# comment\ngemini-port 1965\nbogus yes\n")
            f.flush()
            r = subprocess.run([POLLUX, "-c", f.name, "--check"],
                               capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"%s:3: unknown key \"bogus\"" % f.name.encode(), r.stderr)

    def test_help_and_version(self):
        r = subprocess.run([POLLUX, "--help"], capture_output=True)
        self.assertEqual(r.returncode, 0)
        for flag in (b"--capsule", b"--hostname", b"--listen", b"--gemini-port",
                     b"--gopher-port", b"--dump", b"--check", b"--config"):
            self.assertIn(flag, r.stdout)
        r = subprocess.run([POLLUX, "--version"], capture_output=True)
        self.assertRegex(r.stdout.decode(), r"^pollux \d+\.\d+")
        r = subprocess.run([POLLUX, "--bogus"], capture_output=True)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    sys.exit(run(__name__))
