#!/usr/bin/env python3
"""The peers' half of contrib/bench-peers.sh: starts pollux, molly-brown,
gophernicus and nginx (stream) on free loopback ports with one
certificate and the same pages, runs contrib/gemload against each, and
prints pollux's requests per second and CPU per request as ratios to
every peer.

pollux and nginx run the same number of workers (BENCH_WORKERS, default
one per CPU): pollux --workers N, nginx worker_processes N. nginx
returns the bytes pollux answers, checked byte for byte before any load.
A server's CPU is that of its whole process tree (utime + stime, and of
the children it has reaped), read from /proc before and after a run:
pollux's threads, nginx's master and workers, molly-brown, and for
gophernicus the systemd-socket-activate that forks one gophernicus per
connection, and those. Every pair runs BENCH_PEER_ROUNDS times (3) in
turn, pollux and the peer alternating which goes first; rates are
medians, ratios median [min-max].

Everything started here is in a process group of its own, killed on
exit, INT or TERM; the temporary folder is removed, and so is a System V
shared memory segment gophernicus made (its key 0xbeeb0008) when it was
not there before."""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (Pollux, fetch, free_port, nginx_conf, same_bytes,
                      spread, wait_port)

SECONDS = os.environ.get("BENCH_SECONDS", "3")
ROUNDS = int(os.environ.get("BENCH_PEER_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
LOAD = "build/gemload"
GOPHERNICUS_SHM_KEY = 0xbeeb0008


def tree_cpu(root):
    """Seconds of CPU of root and its descendants, with what each has
    reaped of its ended children."""
    clk = os.sysconf("SC_CLK_TCK")
    parent, times = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d)] = int(fields[1])
        times[int(d)] = sum(int(x) for x in fields[11:15]) / clk
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0)
        todo += [p for p, pp in parent.items() if pp == pid]
    return total


def gemload(url, conns, root, resume=False):
    args = [LOAD, "-c", str(conns), "-t", SECONDS]
    if resume:
        args.append("-r")
    cpu0 = tree_cpu(root)
    out = subprocess.run(args + [url], capture_output=True, text=True,
                         timeout=300).stdout
    cpu1 = tree_cpu(root)
    r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.-]+)", out)}
    r["cpu_us"] = (cpu1 - cpu0) * 1e6 / r["requests"] if r.get("requests") \
        else -1
    return r


def shm_segments():
    """{shmid: key} of System V shared memory segments."""
    segs = {}
    with open("/proc/sysvipc/shm") as f:
        next(f)
        for line in f:
            key, shmid = line.split()[:2]
            segs[int(shmid)] = int(key) & 0xffffffff
    return segs


def start(args, **kw):
    """A process in a group of its own, so that it and all it forks can
    be ended together."""
    return subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            **kw)


def stop(proc):
    """TERM to proc's group, KILL to what is left of it after 10 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def main():
    tmp = tempfile.mkdtemp(prefix="pollux-peers-")
    os.chmod(tmp, 0o755)
    procs = []
    shm_before = shm_segments()
    pollux = None
    try:
        ports = {k: free_port() for k in
                 ("molly", "gophernicus", "nginx_gem", "nginx_goph")}
        pollux = Pollux("./pollux", "capsule", tmp,
                        ["--workers", str(WORKERS)])
        pollux.wait_serving()
        certs = os.path.join(tmp, "certs")
        cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
        os.chmod(certs, 0o755)
        os.chmod(key, 0o644)   # a throwaway key the peers' users must read

        # What pollux answers on the wire, for the peers to serve.
        home = fetch(pollux.gem, b"gemini://localhost/\r\n", tls=True)
        slug = re.search(rb"^=> /posts/(\S+)\.gmi ", home, re.M).group(1).decode()
        post = fetch(pollux.gem, b"gemini://localhost/posts/%s.gmi\r\n"
                     % slug.encode(), tls=True)
        root_menu = fetch(pollux.goph, b"\r\n")
        post_text = fetch(pollux.goph, b"/posts/%s.txt\r\n" % slug.encode())

        # molly-brown serves the same gemtext from files.
        docs = os.path.join(tmp, "molly")
        os.makedirs(os.path.join(docs, "posts"))
        open(os.path.join(docs, "index.gmi"), "wb").write(home.split(b"\r\n", 1)[1])
        open(os.path.join(docs, "posts", slug + ".gmi"), "wb").write(
            post.split(b"\r\n", 1)[1])
        conf = os.path.join(tmp, "molly.conf")
        open(conf, "w").write(
            'Port = %d\nHostname = "localhost"\nCertPath = "%s"\nKeyPath = "%s"\n'
            'DocBase = "%s"\nAccessLog = "/dev/null"\nErrorLog = "%s/molly.err"\n'
            % (ports["molly"], cert, key, docs, tmp))
        molly = start(["molly-brown", "-c", conf])
        procs.append(molly)

        # gophernicus: a process per connection, as an unprivileged user.
        # It counts each client address's hits in shared memory and, past
        # 4,096 in half an hour, sleeps before answering it: every client
        # here is 127.0.0.1, so the limits are raised out of reach (-i
        # and -k both, as versions differ on which is hits and which KiB).
        groot = os.path.join(tmp, "gopher")
        os.makedirs(os.path.join(groot, "posts"))
        open(os.path.join(groot, "posts", slug + ".txt"), "wb").write(post_text)
        for d, _, files in os.walk(tmp):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        os.chmod(key, 0o644)
        runuser = start(
            ["runuser", "-u", "nobody", "--", "systemd-socket-activate",
             "--inetd", "-a", "-l", "127.0.0.1:%d" % ports["gophernicus"],
             "/usr/sbin/gophernicus", "-h", "localhost", "-p",
             str(ports["gophernicus"]), "-r", groot, "-nv", "-nf",
             "-i", "2000000000", "-k", "2000000000"])
        procs.append(runuser)

        # nginx stream: a fixed answer for every connection, as many
        # workers as pollux, every file of it in tmp.
        nginx = start(nginx_conf(tmp, WORKERS, ports["nginx_gem"],
                                 ports["nginx_goph"], cert, key, home,
                                 root_menu))
        procs.append(nginx)
        for port, p in ((ports["molly"], molly), (ports["gophernicus"], runuser),
                        (ports["nginx_gem"], nginx)):
            wait_port(port, p)
        if not same_bytes(ports["nginx_gem"], ports["nginx_goph"], home,
                          root_menu):
            print("nginx does not return pollux's bytes: no comparison")
            return 1
        # runuser waits for its child: the server is the
        # systemd-socket-activate under it.
        time.sleep(0.5)
        activate = int(subprocess.run(["pgrep", "-P", str(runuser.pid)],
                                      capture_output=True, text=True)
                       .stdout.split()[0])
        molly_home = fetch(ports["molly"], b"gemini://localhost/\r\n", tls=True)
        gn_post = fetch(ports["gophernicus"], b"/posts/%s.txt\r\n"
                        % slug.encode())
        print("pollux: PID %d, --workers %d; nginx: master PID %d, "
              "worker_processes %d;\nmolly-brown: PID %d; gophernicus: "
              "systemd-socket-activate PID %d and a gophernicus per "
              "connection (under runuser PID %d)"
              % (pollux.pid, WORKERS, nginx.pid, WORKERS, molly.pid,
                 activate, runuser.pid))
        print("bytes served: gemini home pollux %d, nginx %d (the same), "
              "molly-brown %d; gopher post pollux %d, gophernicus %d"
              % (len(home), len(home), len(molly_home), len(post_text),
                 len(gn_post)))

        def gem(port, path="/"):
            return "gemini://localhost:%d%s" % (port, path)

        ours = {"gem": pollux.gem, "goph": pollux.goph}
        loads = []
        for c in (16, 64):
            loads.append(("gemini home, full", c, False, gem(ours["gem"]),
                          [("molly-brown", gem(ports["molly"]), molly.pid),
                           ("nginx", gem(ports["nginx_gem"]), nginx.pid)]))
            loads.append(("gemini post, full", c, False,
                          gem(ours["gem"], "/posts/%s.gmi" % slug),
                          [("molly-brown", gem(ports["molly"], "/posts/%s.gmi" % slug),
                            molly.pid)]))
            loads.append(("gemini home, resumed", c, True, gem(ours["gem"]),
                          [("molly-brown", gem(ports["molly"]), molly.pid),
                           ("nginx", gem(ports["nginx_gem"]), nginx.pid)]))
            loads.append(("gopher root menu", c, False,
                          "gopher://localhost:%d/1/" % ours["goph"],
                          [("nginx", "gopher://localhost:%d/1/" % ports["nginx_goph"],
                            nginx.pid)]))
            loads.append(("gopher post", c, False,
                          "gopher://localhost:%d/0/posts/%s.txt" % (ours["goph"], slug),
                          [("gophernicus", "gopher://localhost:%d/0/posts/%s.txt"
                            % (ports["gophernicus"], slug), activate)]))

        print("%-21s %5s %-12s %7s %8s %-18s %6s %6s %-18s %6s" % (
            "load", "conns", "peer", "rps", "peer_rps", "rps ratio",
            "cpu_us", "peer", "cpu ratio", "p99"))
        for name, c, resume, url, peers in loads:
            for peer, purl, ppid in peers:
                runs = {"pollux": [], "peer": []}
                for r in range(ROUNDS):
                    order = ((("pollux", url, pollux.pid), ("peer", purl, ppid))
                             if r % 2 == 0 else
                             (("peer", purl, ppid), ("pollux", url, pollux.pid)))
                    for who, u, pid in order:
                        runs[who].append(gemload(u, c, pid, resume))
                ours_, theirs = runs["pollux"], runs["peer"]
                rps = [a["rps"] / max(b["rps"], 1) for a, b in zip(ours_, theirs)]
                cpu = [a["cpu_us"] / b["cpu_us"] for a, b in zip(ours_, theirs)
                       if a["cpu_us"] > 0 and b["cpu_us"] > 0]

                def med(rs, k):
                    return statistics.median(x.get(k, -1) for x in rs)
                print("%-21s %5d %-12s %7.0f %8.0f %-18s %6.0f %6.0f %-18s %6.2f" % (
                    name, c, peer, med(ours_, "rps"), med(theirs, "rps"),
                    spread(rps), med(ours_, "cpu_us"), med(theirs, "cpu_us"),
                    spread(cpu), med(ours_, "p99_ms")))
                errs = (sum(x.get("errors", 0) for x in ours_),
                        sum(x.get("errors", 0) for x in theirs))
                if any(errs):
                    print("    errors: pollux %d, %s %d" % (errs[0], peer, errs[1]))
                sys.stdout.flush()
        print("rps ratio > 1: pollux serves more; cpu ratio < 1: pollux spends "
              "less; median [min-max] of %d rounds of %s s, pollux and the "
              "peer in turn; rps, cpu_us and p99 (pollux's, ms) are medians"
              % (ROUNDS, SECONDS))
    finally:
        for p in procs:
            stop(p)
        if pollux:
            pollux.stop()
        for shmid, key in shm_segments().items():
            if key == GOPHERNICUS_SHM_KEY and shmid not in shm_before:
                subprocess.run(["ipcrm", "-m", str(shmid)])
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
