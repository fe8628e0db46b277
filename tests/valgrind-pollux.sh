#!/bin/sh
# The release binary under valgrind's leak checker, for the end-to-end
# tests: any leak or memory error makes pollux exit 99, which the tests see.
here=$(cd "$(dirname "$0")/.." && pwd)
exec valgrind -q --vgdb=no --leak-check=full \
	--show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	"$here/build/release/pollux" "$@"
