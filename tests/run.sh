#!/bin/sh
# Runs every test against each build variant named on the command line
# (build/release, build/san): unit tests, golden files, page goldens,
# end-to-end tests.
# Ends with one line "N passed, N failed" and a non-zero exit on failure.
set -u
cd "$(dirname "$0")/.."
# Debian's python3 has the feed parser the tests use (python3-feedparser).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
passed=0
failed=0
failures=""

result() { # name status
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures
  FAILED: $1"
	fi
}

for variant in "$@"; do
	echo "== $variant"
	for t in "$variant"/test_*; do
		[ -x "$t" ] || continue
		"$t" >"$t.log" 2>&1
		rc=$?
		[ $rc -ne 0 ] && cat "$t.log"
		grep -E '^\[  (PASSED|FAILED)  \]' "$t.log" | sed "s|^|$(basename "$t"): |"
		result "$t" $rc
	done
	for md in tests/golden/*.md; do
		name=${md%.md}
		for ext in gmi txt; do
			[ -f "$name.$ext" ] || continue
			if "$variant/render" "$ext" "$md" >"$variant/golden.out" 2>"$variant/golden.err" &&
			    cmp -s "$variant/golden.out" "$name.$ext"; then
				result "$name.$ext" 0
			else
				echo "golden mismatch: $name.$ext"
				diff -u "$name.$ext" "$variant/golden.out" | head -40
				cat "$variant/golden.err"
				result "$name.$ext" 1
			fi
		done
	done
	# Markdown pollux does not ship (the GFM spec's examples) and its own,
	# through every writer: no crash, every output well formed.
	"$PY" tests/spec.py "$variant/render" >"$variant/spec.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && head -50 "$variant/spec.log"
	tail -n 1 "$variant/spec.log" | sed "s|^|spec examples: |"
	result "$variant:spec" $rc
	# Every page of the sample capsule against tests/pages/.
	"$PY" tests/pages/pages.py "$variant/pollux" >"$variant/pages.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && head -200 "$variant/pages.log"
	tail -n 1 "$variant/pages.log" | sed "s|^|pages: |"
	result "$variant:pages" $rc
	for e2e in tests/e2e/test_*.py; do
		[ -f "$e2e" ] || continue
		sanitized=0
		case "$variant" in *san*) sanitized=1 ;; esac
		POLLUX="$variant/pollux" POLLUX_SANITIZED=$sanitized "$PY" "$e2e" >"$variant/e2e.log" 2>&1
		rc=$?
		[ $rc -ne 0 ] && cat "$variant/e2e.log"
		tail -n 1 "$variant/e2e.log" | sed "s|^|$(basename "$e2e"): |"
		result "$variant:$e2e" $rc
	done
done

# The server under valgrind for the Gemini and Gopher end-to-end tests
# (the timing-heavy operations tests stay with the faster variants).
if [ -n "${VALGRIND:-}" ] && command -v valgrind >/dev/null; then
	echo "== valgrind"
	for e2e in tests/e2e/test_gemini.py tests/e2e/test_gopher.py; do
		POLLUX=tests/valgrind-pollux.sh POLLUX_SANITIZED=1 "$PY" "$e2e" \
		    >build/valgrind-e2e.log 2>&1
		rc=$?
		[ $rc -ne 0 ] && cat build/valgrind-e2e.log
		tail -n 1 build/valgrind-e2e.log | sed "s|^|valgrind $(basename "$e2e"): |"
		result "valgrind:$e2e" $rc
	done
fi

# The fuzz targets over their checked-in seeds (and any regression inputs).
if [ -n "${FUZZ:-}" ]; then
	echo "== $FUZZ"
	for f in "$FUZZ"/fuzz_*; do
		[ -x "$f" ] || continue
		name=${f##*/fuzz_}
		# The GFM spec's examples join the Markdown seeds (made here from
		# the spec cmark-gfm installs, never checked in).
		extra=$FUZZ/spec-$name
		rm -rf "$extra"
		[ "$name" = markdown ] && "$PY" tests/spec.py --corpus "$extra" >/dev/null
		set -- tests/fuzz/corpus/"$name"/*
		[ -d "$extra" ] && set -- "$@" "$extra"/*
		# Given files, libFuzzer runs each once instead of fuzzing.
		"$f" "$@" >"$f.log" 2>&1
		rc=$?
		[ $rc -ne 0 ] && tail -30 "$f.log"
		echo "fuzz_$name: $# seeds"
		result "$f" $rc
	done
fi

[ -n "$failures" ] && printf '%s\n' "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
