"""Markdown that pollux does not ship, through `render check`: the examples
of the GitHub Flavored Markdown spec (the spec.txt that Debian's cmark-gfm
package installs), the goldens and the fuzz seeds. Only robustness and the
invariants of tests/invariants.h are checked (no crash, every fence closed,
no text read as gemtext syntax, link lines whole, menu lines well formed
and within their widths), never the spec's HTML.

    spec.py RENDER           check; the last line is "N passed, N failed"
    spec.py --corpus DIR     write each example to DIR/spec-NNNN.md, as
                             seeds for the Markdown fuzz target

Without the spec file (a system that leaves out /usr/share/doc), only the
goldens and seeds are checked, and a line says so."""
import glob
import gzip
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = "/usr/share/doc/cmark-gfm/spec.txt.gz"
FENCE = "`" * 32


def examples():
    """The Markdown of each example, in order: between the opening fence
    line ("```...``` example") and the lone "." line; the spec writes a
    tab as "→"."""
    if not os.path.exists(SPEC):
        return None
    with gzip.open(SPEC, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, md, inside = [], None, False
    for line in lines:
        if not inside and re.match(FENCE + r" example\b", line):
            inside, md = True, []
        elif inside and md is not None and line == ".":
            out.append("".join(l + "\n" for l in md).replace("\u2192", "\t"))
            md = None
        elif inside and line == FENCE:
            inside = False
        elif inside and md is not None:
            md.append(line)
    return out


def write_corpus(folder, items):
    os.makedirs(folder, exist_ok=True)
    for i, md in enumerate(items, 1):
        with open(os.path.join(folder, "spec-%04d.md" % i), "w",
                  encoding="utf-8") as f:
            f.write(md)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        items = examples()
        if items is None:
            print("no %s: no spec examples" % SPEC)
            return 1
        write_corpus(sys.argv[2], items)
        print("%d examples in %s" % (len(items), sys.argv[2]))
        return 0
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1])
        return 2
    render = sys.argv[1]
    ours = sorted(glob.glob(os.path.join(HERE, "golden", "*.md")) +
                  glob.glob(os.path.join(HERE, "fuzz", "corpus", "markdown",
                                         "*")))
    items = examples()
    with tempfile.TemporaryDirectory() as tmp:
        files = list(ours)
        if items is None:
            print("no %s (cmark-gfm's docs): the spec's examples were "
                  "not checked" % SPEC)
        else:
            write_corpus(tmp, items)
            files += sorted(glob.glob(os.path.join(tmp, "*.md")))
        r = subprocess.run([render, "check"] + files, capture_output=True,
                           text=True, errors="replace", timeout=600)
    failed = [l for l in r.stdout.splitlines() if not l.endswith(" failed")]
    for line in failed:
        print("FAIL " + line)
    if r.returncode not in (0, 1) or r.stderr:
        print("render check exited %d: %s" % (r.returncode, r.stderr[-2000:]))
        failed.append("render")
    print("%d spec examples, %d goldens and seeds" %
          (len(items or []), len(ours)))
    print("%d passed, %d failed" % (len(files) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
