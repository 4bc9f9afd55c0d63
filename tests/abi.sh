#!/bin/sh
# abi.sh: libhyco's ABI, the names lib/libhyco.so exports and the size
# of every public struct of client/hyco.h, against client/libhyco.abi,
# the record of what HYCO_ABI_VERSION (Makefile) exports.
#   sh tests/abi.sh           compare (make check)
#   sh tests/abi.sh --update  rewrite the record (make abi); refused
#                             while the version is the one recorded, so
#                             an ABI change comes with a new version
# Needs $TOP, $LIB, $CC and $HYCO_ABI_VERSION (set by make).
set -u
cd "$TOP" || exit 1
record=client/libhyco.abi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Every struct hyco_* the header defines, sized by the compiler.
{
	echo '#include <stdio.h>'
	echo '#include "hyco.h"'
	echo 'int main(void) {'
	sed -n 's/^struct \(hyco_[a-z0-9_]*\) {.*/\1/p' client/hyco.h | sort |
	    while read -r s; do
		printf '\tprintf("struct %s %%zu\\n", sizeof(struct %s));\n' \
		    "$s" "$s"
	    done
	echo '	return 0; }'
} >"$dir/sizes.c"
$CC -Iclient -o "$dir/sizes" "$dir/sizes.c" || exit 1
{
	echo "# $record: what libhyco $HYCO_ABI_VERSION exports ($(uname -m))."
	echo "# Written by make abi; make check compares (tests/abi.sh)."
	echo "version $HYCO_ABI_VERSION"
	nm -D --defined-only "$LIB/libhyco.so" | awk '{print "function " $3}' | sort
	"$dir/sizes"
} >"$dir/now"

recorded=$(sed -n 's/^version //p' "$record" 2>/dev/null)
if [ "${1:-}" = --update ]; then
	if [ "$recorded" = "$HYCO_ABI_VERSION" ] &&
	    ! diff -q -I '^#' "$record" "$dir/now" >/dev/null; then
		diff -u -I '^#' "$record" "$dir/now"
		echo "abi: the ABI changed and HYCO_ABI_VERSION is still" \
		    "$recorded: raise it in the Makefile first (README, Versions)"
		exit 1
	fi
	cp "$dir/now" "$record"
	echo "abi: $record written for $HYCO_ABI_VERSION"
	exit 0
fi
if diff -u "$record" "$dir/now"; then
	echo "abi: libhyco $HYCO_ABI_VERSION as recorded" \
	    "($(grep -c '^function' "$record") functions," \
	    "$(grep -c '^struct' "$record") structs)"
	exit 0
fi
echo "FAIL: libhyco's ABI is not what $record records for $HYCO_ABI_VERSION:"
echo "  raise HYCO_ABI_VERSION (MINOR for additions, MAJOR for removals or"
echo "  changes; README, Versions), then make abi"
exit 1
