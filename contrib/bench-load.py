#!/usr/bin/env python3
"""Capsule-loading benchmark: writes N generated posts (default 10,000)
into a temporary capsule, runs `pollux --check` on it, and prints posts
loaded per second and the peak memory of the process. One run: the machine
is shared, so read the figure as a rate, not a verdict."""
import os
import random
import shutil
import sys
import tempfile
import time

POLLUX = os.environ.get("POLLUX", "./pollux")
TAGS = ["django", "payments", "nginx", "linux", "security", "cryptography",
        "iot", "esp32", "python", "career", "aws", "performance"]
WORDS = ("the server reads every request line then looks the path up in a "
         "table built when the capsule loads so nothing is parsed twice and "
         "no file is opened while a client waits").split()


def body(rng, i):
    paras = []
    for k in range(rng.randint(6, 14)):
        words = rng.choices(WORDS, k=rng.randint(30, 90))
        paras.append(" ".join(words).capitalize() + ".")
    paras.insert(2, "## Details\n\n* one *item*\n* two with `code`\n"
                    "  * nested [link](https://example.org/%d)\n" % i)
    paras.insert(4, "```python\nprint('post %d')\n```" % i)
    paras.append("See [the previous post](post-%05d.md)." % max(i - 1, 0))
    paras.append("| a | b |\n|---|---|\n| %d | %d |" % (i, i * 2))
    return "\n\n".join(paras) + "\n"


def write_capsule(root, n):
    """n generated posts in root (made if missing), the same every time."""
    rng = random.Random(1)
    os.makedirs(os.path.join(root, "posts"), exist_ok=True)
    with open(os.path.join(root, "site.yaml"), "w") as f:
        f.write("title: Bench\nauthor: Bench\nlanguage: en\n")
    for i in range(n):
        y, m, d = 2000 + i % 26, 1 + i % 12, 1 + i % 28
        tags = ", ".join(rng.sample(TAGS, 3))
        with open(os.path.join(root, "posts", "post-%05d.md" % i), "w") as f:
            f.write('---\ntitle: "Post number %d"\nsummary: "About %d."\n'
                    "date: %04d-%02d-%02d\ntags: [%s]\n---\n%s"
                    % (i, i, y, m, d, tags, body(rng, i)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    root = tempfile.mkdtemp(prefix="pollux-bench-")
    try:
        write_capsule(root, n)
        start = time.monotonic()
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)   # pollux's own summary line is not ours
        try:
            pid = os.spawnv(os.P_NOWAIT, POLLUX,
                            [POLLUX, "--check", "--capsule", root])
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.monotonic() - start
        if status != 0:
            print("pollux --check failed", file=sys.stderr)
            return 1
        rate = n / elapsed
        print("load: %d posts in %.2f s: %.0f posts/s, peak RSS %.1f MiB"
              % (n, elapsed, rate, usage.ru_maxrss / 1024))
        print("posts=%d seconds=%.3f posts_per_s=%.0f peak_rss_kib=%d"
              % (n, elapsed, rate, usage.ru_maxrss))
    finally:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
