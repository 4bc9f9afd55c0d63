#!/bin/sh
# config_golden.sh: hycod --print-config (and its errors) against
# checked-in expectations, OpenBGPD regress style; then the printed
# trees read back by OmegaConf and PyYAML (tests/config/readback.py).
#   sh tests/config_golden.sh          compare
#   sh tests/config_golden.sh --update rewrite the .ok files
set -u
cd "${TOP:-.}" || exit 1
HYCOD=${HYCOD:-bin/hycod}
passed=0 failed=0
out=$(mktemp)
# Missing keys in a group file are looked up relative to the conf dir.
grep -v '^#' tests/config/cases | while IFS='|' read -r name args; do
	name=$(echo $name)
	# shellcheck disable=SC2086
	{ $HYCOD $args; echo "exit $?"; } >"$out" 2>&1
	if [ "${1:-}" = "--update" ]; then
		cp "$out" "tests/config/$name.ok"
	elif diff -u "tests/config/$name.ok" "$out"; then
		echo "ok $name"
	else
		echo "FAIL $name"
		echo "$name" >>"$out.failed"
	fi
done
n=$(grep -vc '^#' tests/config/cases)
f=$(cat "$out.failed" 2>/dev/null | wc -l)
rm -f "$out" "$out.failed"
echo "config: $((n - f)) passed, $f failed"
[ "${1:-}" = "--update" ] && exit 0
/usr/bin/python3 tests/config/readback.py || f=$((f + 1))
[ "$f" = 0 ]
