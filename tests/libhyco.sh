#!/bin/sh
# libhyco.sh: libhyco as a program outside this tree sees it.
#  - lib/libhyco.so (soname libhyco.so.0) and lib/libhyco.a define only
#    hyco_* names: nm;
#  - tests/api/old.c, a program written against the first header (it
#    compiles against tests/api/v0/hyco.h), compiles against
#    client/hyco.h once tests/api/old-to-new.patch is applied (exactly
#    the changes of README.md's API notes), links with -Llib -lhyco
#    alone, and runs with LD_LIBRARY_PATH=lib against a real hycod.
# Needs $HYCOD, $TOP, $LIB, $HYCO_ABI_VERSION and $CC, $CFLAGS, $LDFLAGS
# (set by make check).
set -u
fail=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
dir=$(mktemp -d /dev/shm/libhyco-XXXXXX 2>/dev/null || mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
lib=$TOP/$LIB

# Exports: only the public API, nothing of proto.c or the internals.
others=$(nm -D --defined-only "$lib/libhyco.so" | awk '{print $3}' | grep -v '^hyco_[^_]')
[ -z "$others" ] && ok || bad "libhyco.so exports more than hyco_*: $others"
nm -D --defined-only "$lib/libhyco.so" | grep -q ' T hyco_summary_sized$' && ok || bad "libhyco.so lacks hyco_summary_sized"
others=$(nm -g --defined-only "$lib/libhyco.a" | awk 'NF == 3 {print $3}' | grep -v '^hyco_[^_]')
[ -z "$others" ] && ok || bad "libhyco.a defines more than hyco_*: $others"
readelf -d "$lib/libhyco.so" | grep -q 'SONAME.*\[libhyco\.so\.0\]' && ok || bad "soname is not libhyco.so.0"
# The real file carries the ABI version; the soname and development
# names are links to it (what make install copies too).
[ -f "$lib/libhyco.so.$HYCO_ABI_VERSION" ] && [ ! -L "$lib/libhyco.so.$HYCO_ABI_VERSION" ] &&
    ok || bad "no $LIB/libhyco.so.$HYCO_ABI_VERSION"
[ "$(readlink "$lib/libhyco.so.0")" = "libhyco.so.$HYCO_ABI_VERSION" ] && ok ||
    bad "$LIB/libhyco.so.0 does not link to libhyco.so.$HYCO_ABI_VERSION"
[ "$(readlink "$lib/libhyco.so")" = libhyco.so.0 ] && ok || bad "$LIB/libhyco.so does not link to libhyco.so.0"

# The old program compiles against the old header as it is ...
# shellcheck disable=SC2086
$CC $CFLAGS -fsyntax-only -I"$TOP/tests/api/v0" "$TOP/tests/api/old.c" 2>"$dir/err" &&
    ok || bad "old.c against the v0 header: $(cat "$dir/err")"
# ... and against the new one only with the API notes' changes.
cp "$TOP/tests/api/old.c" "$dir/old.c"
patch -s -d "$dir" -p1 <"$TOP/tests/api/old-to-new.patch" && ok || bad "patch"
# shellcheck disable=SC2086
$CC $CFLAGS $LDFLAGS -I"$TOP/client" -o "$dir/old" "$dir/old.c" -L"$lib" -lhyco \
    2>"$dir/err" && ok || bad "old.c with the API notes' changes: $(cat "$dir/err")"
# Unpatched, it does not compile against the new header (else the notes
# would list changes nobody needs).
# shellcheck disable=SC2086
$CC $CFLAGS -fsyntax-only -I"$TOP/client" "$TOP/tests/api/old.c" 2>/dev/null &&
    bad "old.c compiles unchanged against the new header" || ok
readelf -d "$dir/old" 2>/dev/null | grep -q 'NEEDED.*\[libhyco\.so\.0\]' && ok || bad "old does not need libhyco.so.0"

# It runs against a real hycod through lib/libhyco.so.0.
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$dir/cache" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/cache/hycod.sock" ] && break; sleep 0.05; done
LD_LIBRARY_PATH=$lib "$dir/old" "$dir/cache/hycod.sock" >"$dir/out" 2>&1
[ $? = 0 ] && grep -q '^old-api: ok$' "$dir/out" && ok || bad "old, run: $(cat "$dir/out")"
grep -q "^removed $dir/cache/generated/synthetic_preds/cycle_003$" "$dir/out" && ok || bad "old's output: $(cat "$dir/out")"
# And it was lib/'s copy, through the link, that it ran with.
got=$(LD_LIBRARY_PATH=$lib ldd "$dir/old" | awk '$1 == "libhyco.so.0" {print $3}')
[ "$got" = "$lib/libhyco.so.0" ] && ok || bad "old loads libhyco.so.0 from '$got'"
kill $pid; wait $pid && ok || bad "hycod exit status $?"
pid=

echo "libhyco: $passed passed, $fail failed"
[ $fail = 0 ]
