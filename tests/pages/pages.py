"""Page goldens: every page of the sample capsule, over both protocols, as
`pollux --dump` answers it, against the files under tests/pages/.

    pages.py POLLUX            compare; the last line is "N passed, N failed"
    pages.py POLLUX --update   rewrite the goldens from what POLLUX serves

The pages are found by following links from each protocol's home page
(and the few pages no page links to), so a page added or lost shows up as
a golden added or gone. A binary file served as it is (an image) is
compared with the capsule's own file rather than stored twice. Every line
of every menu is measured too: items at most 70 display columns, info
lines at most 67."""
import difflib
import os
import re
import subprocess
import sys
import unicodedata
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CAPSULE = os.path.normpath(os.path.join(HERE, "..", "..", "capsule"))
HOST = "localhost"
GOPHER_PORT = "70"
# urljoin resolves relative links only for schemes it knows.
urllib.parse.uses_relative.append("gemini")
urllib.parse.uses_netloc.append("gemini")
# Pages no other page links to.
# RFC 1436 wants display strings under 70 columns; info lines stay at 67
# for clients that show a prefix before them.
ITEM_WIDTH, INFO_WIDTH = 70, 67
ROOTS = [("gemini", "/", ""), ("gemini", "/robots.txt", ""),
         ("gopher", "/", "1"), ("gopher", "/caps.txt", "0")]


def columns(s):
    """Display columns, by the rule pollux follows (src/layout.c): East
    Asian wide and fullwidth characters take two, combining marks and
    format characters none."""
    n = 0
    for c in s:
        cat = unicodedata.category(c)
        if cat in ("Mn", "Me") or (cat == "Cf" and c != "\u00ad"):
            continue
        n += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return n


def dump(pollux, url):
    r = subprocess.run([pollux, "--capsule", CAPSULE, "--dump", url],
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (url, r.returncode,
                                               r.stderr.decode()[-500:]))
    return r.stdout


def is_text(data):
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def capsule_file(path):
    """The bytes of the capsule file at a served path, or None."""
    full = os.path.join(CAPSULE, path.lstrip("/"))
    if os.path.isfile(full):
        with open(full, "rb") as f:
            return f.read()
    return None


def golden_name(proto, path):
    """Where a page's golden lives: the served path as a file tree; a
    folder's own page is its "_index" (Gemini) or "_menu" (Gopher), names
    pollux never serves; Gopher's URL: pages by their quoted URL."""
    if proto == "gopher" and path.startswith("URL:"):
        return os.path.join("gopher", "_url",
                            urllib.parse.quote(path[4:], safe=""))
    rel = path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "_index" if proto == "gemini" else "_menu"
    return os.path.join(proto, rel)


def gemini_links(path, body):
    base = "gemini://%s%s" % (HOST, urllib.parse.quote(path))
    for m in re.finditer(r"^=>[ \t]*(\S+)", body.decode(), re.M):
        u = urllib.parse.urlsplit(urllib.parse.urljoin(base, m.group(1)))
        if u.scheme == "gemini" and u.hostname == HOST and u.port in (None, 1965):
            yield urllib.parse.unquote(u.path or "/")


def gopher_items(body):
    """(type, display, selector, host, port) of each menu line."""
    text = body.decode()
    if text.endswith(".\r\n"):
        text = text[:-3]
    for line in text.split("\r\n"):
        if not line:
            continue
        fields = line[1:].split("\t")
        if len(fields) < 4:
            raise ValueError("menu line with %d fields: %r" %
                             (len(fields), line))
        yield (line[0], fields[0], fields[1], fields[2], fields[3])


def is_menu(body):
    try:
        items = list(gopher_items(body))
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(items) and body.endswith(b"\r\n.\r\n")


def crawl(pollux):
    """{golden name: (proto, path, response bytes)}, and problems found."""
    pages, problems = {}, []
    todo = list(ROOTS)
    seen = set()
    while todo:
        proto, path, gtype = todo.pop(0)
        if (proto, path) in seen:
            continue
        seen.add((proto, path))
        if proto == "gemini":
            url = "gemini://%s%s" % (HOST, urllib.parse.quote(path))
        else:
            url = "gopher://%s/%s%s" % (HOST, gtype or "0",
                                         urllib.parse.quote(path, safe="/"))
        try:
            body = dump(pollux, url)
        except RuntimeError as e:
            problems.append("%s %s: %s" % (proto, path, e))
            continue
        pages[golden_name(proto, path)] = (proto, path, body)
        if proto == "gemini":
            head = body.split(b"\r\n", 1)[0]
            if head.startswith(b"20 text/gemini"):
                for link in gemini_links(path, body.split(b"\r\n", 1)[1]):
                    todo.append(("gemini", link, ""))
        elif gtype == "1" or (path.endswith("/") and is_menu(body)):
            for t, display, sel, host, port in gopher_items(body):
                limit = INFO_WIDTH if t == "i" else ITEM_WIDTH
                if columns(display) > limit:
                    problems.append("gopher %s: %d columns: %r" %
                                    (path, columns(display), display))
                if t in "i3":
                    continue
                if host == HOST and port == GOPHER_PORT and t not in "78":
                    todo.append(("gopher", sel, t))
    return pages, problems


def stored_goldens():
    found = set()
    for proto in ("gemini", "gopher"):
        for root, _, files in os.walk(os.path.join(HERE, proto)):
            for f in files:
                found.add(os.path.relpath(os.path.join(root, f), HERE))
    return found


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    pollux, update = sys.argv[1], "--update" in sys.argv[2:]
    pages, problems = crawl(pollux)
    passed = failed = 0
    for p in problems:
        print("problem:", p)
        failed += 1
    served = set()
    for name, (proto, path, body) in sorted(pages.items()):
        if not is_text(body) and capsule_file(path) is not None:
            # Served as it is: the capsule's file is the golden.
            data = body.split(b"\r\n", 1)[1] if proto == "gemini" else body
            if data == capsule_file(path):
                passed += 1
            else:
                print("FAIL %s: not the capsule's file" % name)
                failed += 1
            continue
        served.add(name)
        file = os.path.join(HERE, name)
        if update:
            os.makedirs(os.path.dirname(file), exist_ok=True)
            with open(file, "wb") as f:
                f.write(body)
            passed += 1
            continue
        want = open(file, "rb").read() if os.path.exists(file) else None
        if want == body:
            passed += 1
            continue
        failed += 1
        if want is None:
            print("FAIL %s: a page with no golden" % name)
            continue
        print("FAIL %s differs:" % name)
        diff = difflib.unified_diff(
            want.decode("utf-8", "replace").splitlines(),
            body.decode("utf-8", "replace").splitlines(),
            "golden", "served", lineterm="", n=1)
        for line in list(diff)[:40]:
            print("   ", line)
    for name in sorted(stored_goldens() - served):
        if update:
            os.remove(os.path.join(HERE, name))
        else:
            print("FAIL %s: golden of a page no longer served" % name)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
