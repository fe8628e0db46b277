#!/usr/bin/env python3
"""The peers' half of contrib/bench-peers.sh: starts pollux, molly-brown,
gophernicus and nginx (stream) on free loopback ports with one certificate
and the same pages, runs contrib/gemload against each, and prints pollux's
requests per second and CPU per request as ratios to every peer."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SECONDS = os.environ.get("BENCH_SECONDS", "3")
LOAD = "build/gemload"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("%s exited" % proc.args[0])
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on %d" % (proc.args[0], port))


def gemload(url, conns, pid, resume=False):
    args = [LOAD, "-c", str(conns), "-t", SECONDS, "-p", str(pid)]
    if resume:
        args.append("-r")
    out = subprocess.run(args + [url], capture_output=True, text=True,
                         timeout=120).stdout
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.-]+)", out)}


def nginx_string(data):
    return '"%s"' % data.decode().replace("\\", "\\\\").replace('"', '\\"') \
        .replace("$", "${dollar}")


def main():
    tmp = tempfile.mkdtemp(prefix="pollux-peers-")
    os.chmod(tmp, 0o755)
    procs = []
    try:
        certs = os.path.join(tmp, "certs")
        ports = {k: free_port() for k in
                 ("pollux_gem", "pollux_goph", "molly", "gophernicus",
                  "nginx_gem", "nginx_goph")}
        pollux = subprocess.Popen(
            ["./pollux", "--capsule", "capsule", "--listen", "127.0.0.1",
             "--gemini-port", str(ports["pollux_gem"]), "--gopher-port",
             str(ports["pollux_goph"]), "--certs", certs, "--chroot", "/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(pollux)
        wait_port(ports["pollux_gem"], pollux)
        cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
        os.chmod(certs, 0o755)
        os.chmod(key, 0o644)   # a throwaway key the peers' users must read

        def dump(url):
            return subprocess.run(["./pollux", "--capsule", "capsule", "--dump",
                                   url], capture_output=True).stdout
        home = dump("gemini://localhost/")
        slug = re.search(rb"^=> /posts/(\S+)\.gmi ", home, re.M).group(1).decode()
        post = dump("gemini://localhost/posts/%s.gmi" % slug)
        root_menu = dump("gopher://localhost/1/")
        post_text = dump("gopher://localhost/0/posts/%s.txt" % slug)

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
        molly = subprocess.Popen(["molly-brown", "-c", conf],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(molly)

        # gophernicus: a process per connection, as an unprivileged user.
        groot = os.path.join(tmp, "gopher")
        os.makedirs(os.path.join(groot, "posts"))
        open(os.path.join(groot, "posts", slug + ".txt"), "wb").write(post_text)
        for d, _, files in os.walk(tmp):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        gophernicus = subprocess.Popen(
            ["runuser", "-u", "nobody", "--", "systemd-socket-activate", "--inetd", "-a",
             "-l", "127.0.0.1:%d" % ports["gophernicus"], "/usr/sbin/gophernicus",
             "-h", "localhost", "-p", str(ports["gophernicus"]), "-r", groot, "-nv",
             "-nf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(gophernicus)

        # nginx stream: a fixed answer for every connection, one worker.
        nconf = os.path.join(tmp, "nginx.conf")
        open(nconf, "w").write(
            "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
            "worker_processes 1; daemon off; pid %s/nginx.pid;\n"
            "error_log %s/nginx.err;\nevents { worker_connections 4096; }\n"
            "stream {\n  geo $dollar { default \"$\"; }\n"
            "  server { listen 127.0.0.1:%d ssl; ssl_certificate %s;\n"
            "    ssl_certificate_key %s; ssl_protocols TLSv1.2 TLSv1.3;\n"
            "    return %s; }\n"
            "  server { listen 127.0.0.1:%d; return %s; }\n}\n"
            % (tmp, tmp, ports["nginx_gem"], cert, key, nginx_string(home),
               ports["nginx_goph"], nginx_string(root_menu)))
        nginx = subprocess.Popen(["nginx", "-c", nconf, "-e", tmp + "/nginx.err"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(nginx)
        for port, p in ((ports["molly"], molly), (ports["gophernicus"], gophernicus),
                        (ports["nginx_gem"], nginx)):
            wait_port(port, p)
        # The process doing the work: nginx's worker, not its master.
        time.sleep(0.5)
        nginx_worker = int(subprocess.run(["pgrep", "-P", str(nginx.pid)],
                                          capture_output=True, text=True)
                           .stdout.split()[0])

        def gem(port, path="/"):
            return "gemini://localhost:%d%s" % (port, path)

        loads = []
        for c in (16, 64):
            loads.append(("gemini home, full", c, False,
                          gem(ports["pollux_gem"]),
                          [("molly-brown", gem(ports["molly"]), molly.pid),
                           ("nginx", gem(ports["nginx_gem"]), nginx_worker)]))
            loads.append(("gemini post, full", c, False,
                          gem(ports["pollux_gem"], "/posts/%s.gmi" % slug),
                          [("molly-brown", gem(ports["molly"], "/posts/%s.gmi" % slug),
                            molly.pid)]))
            loads.append(("gemini home, resumed", c, True,
                          gem(ports["pollux_gem"]),
                          [("molly-brown", gem(ports["molly"]), molly.pid),
                           ("nginx", gem(ports["nginx_gem"]), nginx_worker)]))
            loads.append(("gopher root menu", c, False,
                          "gopher://localhost:%d/1/" % ports["pollux_goph"],
                          [("nginx", "gopher://localhost:%d/1/" % ports["nginx_goph"],
                            nginx_worker)]))
            loads.append(("gopher post", c, False,
                          "gopher://localhost:%d/0/posts/%s.txt" % (ports["pollux_goph"], slug),
                          [("gophernicus", "gopher://localhost:%d/0/posts/%s.txt"
                            % (ports["gophernicus"], slug), gophernicus.pid)]))

        print("%-22s %5s %-12s %9s %9s %7s %9s %9s %7s %6s" % (
            "load", "conns", "peer", "rps", "peer_rps", "ratio",
            "cpu_us", "peer_cpu", "ratio", "p99"))
        for name, c, resume, url, peers in loads:
            ours = gemload(url, c, pollux.pid, resume)
            for peer, purl, ppid in peers:
                theirs = gemload(purl, c, ppid, resume)
                pcpu = theirs.get("cpu_us_per_req", -1)
                print("%-22s %5d %-12s %9.0f %9.0f %7.2f %9.0f %9s %7s %6.2f" % (
                    name, c, peer, ours["rps"], theirs["rps"],
                    ours["rps"] / max(theirs["rps"], 1),
                    ours["cpu_us_per_req"],
                    "%.0f" % pcpu if pcpu > 0 else "n/a",
                    "%.2f" % (ours["cpu_us_per_req"] / pcpu) if pcpu > 0 else "n/a",
                    ours["p99_ms"]))
                if ours.get("errors", 0) or theirs.get("errors", 0):
                    print("    errors: pollux %d, %s %d" % (
                        ours.get("errors", 0), peer, theirs.get("errors", 0)))
        print("rps ratio > 1: pollux serves more; cpu ratio < 1: pollux spends less")
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
            except Exception:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
