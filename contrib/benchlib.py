"""Helpers shared by contrib/bench-*.py: free ports, starting pollux and
waiting for it to serve, its stats line, memory figures from /proc, a
run of contrib/gemload, raw fetches, and median [min-max] of a spread."""
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, tries=400):
    for _ in range(tries):
        if proc.poll() is not None:
            raise RuntimeError("%s exited" % proc.args[0])
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on %d" % (proc.args[0], port))


class Pollux:
    """A pollux of its own on loopback, stderr in a file under tmp."""

    def __init__(self, binary, capsule, tmp, extra=(), name="pollux"):
        self.gem, self.goph = free_port(), free_port()
        self.err = os.path.join(tmp, name + ".stderr")
        self.started = time.monotonic()
        # --chroot /: the certificate folder stays reachable; --max-per-ip
        # 0: every client here is 127.0.0.1.
        self.proc = subprocess.Popen(
            [binary, "--capsule", capsule, "--listen", "127.0.0.1",
             "--gemini-port", str(self.gem), "--gopher-port", str(self.goph),
             "--certs", os.path.join(tmp, "certs"), "--chroot", "/",
             "--max-per-ip", "0"] + list(extra),
            stdout=subprocess.DEVNULL, stderr=open(self.err, "w"))
        self.pid = self.proc.pid

    def stderr(self):
        with open(self.err) as f:
            return f.read()

    def wait_serving(self, timeout=600):
        """Seconds from start until "pollux: serving " (the ports open
        before the capsule is read)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "pollux: serving " in self.stderr():
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError("pollux did not serve: " + self.stderr()[-500:])

    def stats(self, timeout=10):
        """The fields of the next stats line (SIGUSR1), as
        tests/e2e/pollux_harness.py reads them."""
        prefix = "pollux: stats: "

        def lines():
            text = self.stderr()
            text = text[:text.rfind("\n") + 1]
            return [l for l in text.splitlines() if l.startswith(prefix)]
        seen = len(lines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = lines()
            if len(found) > seen:
                return {k: int(v) for k, v in (
                    f.split("=", 1) for f in found[seen][len(prefix):].split())}
            time.sleep(0.02)
        raise RuntimeError("no stats line after SIGUSR1")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def status_kib(pid, field):
    """VmRSS, VmHWM, ... of /proc/PID/status, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def cpu_seconds(pid):
    """utime + stime of the process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gemload(load, url, conns, pid=None, resume=False, requests=None,
            seconds=None):
    args = [load, "-c", str(conns)]
    if requests:
        args += ["-n", str(requests), "-t", "600"]
    else:
        args += ["-t", str(seconds or os.environ.get("BENCH_SECONDS", "3"))]
    if pid:
        args += ["-p", str(pid)]
    if resume:
        args.append("-r")
    out = subprocess.run(args + [url], capture_output=True, text=True,
                         timeout=900).stdout
    first = out.splitlines()[0] if out else ""
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.-]+)", first)}


def fetch(port, request, tls=False, timeout=10):
    """The raw bytes a server on 127.0.0.1:port answers to one request."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="localhost")
    with s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ssl.SSLEOFError:
                break
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks)


def spread(xs, fmt="%.2f"):
    """median [min-max]"""
    if not xs:
        return "n/a"
    return (fmt + " [" + fmt + "-" + fmt + "]") % (
        statistics.median(xs), min(xs), max(xs))


def nginx_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"') \
        .replace("$", "${dollar}")


def nginx_return(data, name):
    """Directives for an nginx stream server block that return exactly
    data: nginx reads no token over 4 KiB, so longer data is cut into
    pieces, each set into a variable $NAME_k, and the return names them
    all. "$" comes through a variable that holds it (geo $dollar)."""
    pieces, cur, size = [], [], 0
    for ch in data.decode():
        e = nginx_escape(ch)
        if size + len(e.encode()) > 3000:
            pieces.append("".join(cur))
            cur, size = [], 0
        cur.append(e)
        size += len(e.encode())
    pieces.append("".join(cur))
    sets = "".join('    set $%s_%d "%s";\n' % (name, k, p)
                   for k, p in enumerate(pieces))
    return sets + '    return "%s";\n' % "".join(
        "${%s_%d}" % (name, k) for k in range(len(pieces)))


def nginx_conf(tmp, workers, gem, goph, cert, key, home, menu):
    """An nginx of our own, all its files in tmp: the stream module
    returning home on gem (TLS) and menu on goph, workers processes."""
    path = os.path.join(tmp, "nginx.conf")
    with open(path, "w") as f:
        f.write(
            "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
            "worker_processes %d; daemon off; pid %s/nginx.pid;\n"
            "error_log %s/nginx.err;\nevents { worker_connections 4096; }\n"
            "stream {\n  geo $dollar { default \"$\"; }\n"
            "  server {\n    listen 127.0.0.1:%d ssl; ssl_certificate %s;\n"
            "    ssl_certificate_key %s; ssl_protocols TLSv1.2 TLSv1.3;\n"
            "%s  }\n  server {\n    listen 127.0.0.1:%d;\n%s  }\n}\n"
            % (workers, tmp, tmp, gem, cert, key, nginx_return(home, "home"),
               goph, nginx_return(menu, "menu")))
    return ["nginx", "-p", tmp, "-c", path, "-e", os.path.join(tmp, "nginx.err")]


def same_bytes(gem, goph, home, menu):
    """Whether the server on gem and goph answers home and menu, byte
    for byte (no request sent: nginx's return does not read one)."""
    return (fetch(gem, b"", tls=True) == home and fetch(goph, b"") == menu)


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


# A TERM (make's, or the shell's on exit) unwinds like an INT: every
# script's finally stops its servers and removes its temporary files.
signal.signal(signal.SIGTERM, _terminated)
