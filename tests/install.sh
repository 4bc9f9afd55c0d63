#!/bin/sh
# install.sh: make install and make uninstall, as an operator meets them.
#  - make install DESTDIR=$root installs exactly the expected files,
#    links and modes, and the Python package when client/python/hyco
#    exists (import hyco works from the tree, from a directory on
#    /usr/bin/python3's own sys.path);
#  - the installed hycod starts from $root and the installed hycoctl
#    answers; the installed config names the service's cache and socket;
#  - a program built with pkg-config --cflags --libs hyco against the
#    tree (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR) runs through the
#    installed libhyco.so.0 against that daemon; --static links it
#    without libhyco.so (Requires.private); nm -D shows only hyco_*;
#  - the man pages: mandoc -T lint silent at warning level, man -l
#    renders them without a warning, every config key and every hycoctl
#    command is in them;
#  - the units: systemd-analyze verify on the installed tree (--root,
#    with the host's system units and kill copied in) says nothing,
#    security --offline rates hycod.service at most $EXPOSURE_MAX;
#    sysusers and tmpfiles snippets applied to that root (as root);
#  - make uninstall DESTDIR leaves no file; an /etc/hyco/config.yaml of
#    the operator's is neither overwritten nor removed.
# Needs $TOP, $MAKE, $CC, $CFLAGS, $LDFLAGS, $HYCO_ABI_VERSION (make check).
set -u
EXPOSURE_MAX=0.8	# systemd-analyze security, README "Service"
fail=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
skipped() { echo "SKIPPED: $*"; }
tmp=$(mktemp -d "$TOP/build/install-test.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
root=$tmp/root
abi=$HYCO_ABI_VERSION
inst() {	# DESTDIR, target
	$MAKE -s -C "$TOP" "$2" DESTDIR="$1" >"$tmp/make.log" 2>&1 ||
	    { cat "$tmp/make.log"; return 1; }
}
listing() {	# mode path (-> target) of every file and link under $1
	(cd "$1" && find . -type l -printf '%m %P -> %l\n' -o -type f \
	    -printf '%m %P\n' | sort)
}

# -- the files --------------------------------------------------------------
inst "$root" install && ok || bad "make install DESTDIR=$root"
sort >"$tmp/want" <<EOF2
644 etc/hyco/config.yaml
755 usr/local/bin/hycoctl
644 usr/local/include/hyco.h
644 usr/local/lib/libhyco.a
777 usr/local/lib/libhyco.so -> libhyco.so.0
777 usr/local/lib/libhyco.so.0 -> libhyco.so.$abi
644 usr/local/lib/libhyco.so.$abi
644 usr/local/lib/pkgconfig/hyco.pc
644 usr/local/lib/systemd/system/hycod.service
644 usr/local/lib/systemd/system/hycod.socket
644 usr/local/lib/sysusers.d/hyco.conf
644 usr/local/lib/tmpfiles.d/hyco.conf
755 usr/local/sbin/hycod
644 usr/local/share/man/man1/hycoctl.1
644 usr/local/share/man/man5/hyco.yaml.5
644 usr/local/share/man/man8/hycod.8
EOF2
listing "$root" | grep -v '/dist-packages/hyco/' >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" && ok || bad "installed files differ from the expected list"

# -- the Python package -----------------------------------------------------
if [ -d "$TOP/client/python/hyco" ]; then
	(cd "$TOP/client/python" && find hyco -name __pycache__ -prune -o \
	    -type f \( -name '*.py' -o -name py.typed \) -print) | sort >"$tmp/pywant"
	pydir=$(cd "$root" && find . -path '*/dist-packages/hyco/__init__.py' |
	    sed 's|^\.||; s|/hyco/__init__.py$||')
	(cd "$root$pydir" 2>/dev/null && find hyco -type f) | sort >"$tmp/pygot"
	diff -u "$tmp/pywant" "$tmp/pygot" && ok || bad "python files under '$pydir'"
	/usr/bin/python3 -c "import sys; sys.exit('$pydir' not in sys.path)" &&
	    ok || bad "$pydir is not on /usr/bin/python3's sys.path"
	got=$(cd / && /usr/bin/python3 -I -c "import sys; sys.path.insert(0, '$root$pydir')
import hyco; print(hyco.__file__)" 2>&1)
	[ "$got" = "$root$pydir/hyco/__init__.py" ] && ok || bad "import hyco: $got"
else
	skipped "python: no client/python/hyco in this tree, nothing to install"
fi

# -- the config, the daemon and hycoctl as installed --------------------------
hycod=$root/usr/local/sbin/hycod
conf=$root/etc/hyco/config.yaml
"$hycod" -c "$conf" --print-config >"$tmp/printed" 2>&1 && ok || bad "print-config: $(cat "$tmp/printed")"
grep -q '^  cache_root: /var/cache/hyco$' "$tmp/printed" && ok || bad "installed cache_root"
grep -q '^  socket: /run/hycod/hycod.sock$' "$tmp/printed" && ok || bad "installed socket"
sock=$tmp/cache/hycod.sock
"$hycod" -c "$conf" paths.cache_root="$tmp/cache" daemon.socket="$sock" \
    2>"$tmp/hycod.log" &
pid=$!
# Listening, not only bound: ping answers.
for _ in $(seq 200); do
	got=$("$root/usr/local/bin/hycoctl" --socket "$sock" ping 2>&1) && break
	sleep 0.05
done
case $got in "hycod "*" pid $pid "*) ok ;; *) bad "installed hycoctl ping: $got" ;; esac

# -- a program of the user's, through pkg-config ------------------------------
cat >"$tmp/prog.c" <<'EOF2'
/* prog.c: a program outside the tree, against the installed libhyco. */
#include <stdio.h>
#include <hyco.h>

int
main(int argc, char **argv)
{
	struct hyco_ping p;
	char path[4096];
	hyco_client *c;
	int created = 0;

	if (argc != 2 || (c = hyco_new(argv[1])) == NULL)
		return 2;
	if (hyco_ping(c, &p) != HYCO_OK || hyco_get_cycle_dir(c, "synthetic",
	    7, NULL, path, sizeof(path), &created) != HYCO_OK) {
		fprintf(stderr, "prog: %s: %s\n", hyco_error_code(c),
		    hyco_error_message(c));
		hyco_free(c);
		return 1;
	}
	printf("hycod %s\n%s %s\n", p.version, created ? "created" : "found",
	    path);
	hyco_free(c);
	return 0;
}
EOF2
export PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
# Every path inside the tree (msgpack's, of Requires.private, too).
flags=$(pkg-config --cflags --libs hyco 2>&1)
case " $flags " in
*" -I$root/usr/local/include "*" -L$root/usr/local/lib -lhyco "*) ok ;;
*) bad "pkg-config --cflags --libs hyco: $flags" ;;
esac
for f in $flags; do
	case $f in -[IL]"$root"/*|-l*) ;; *) bad "pkg-config: $f is outside $root" ;; esac
done
[ "$(pkg-config --modversion hyco)" = "$("$hycod" --version | cut -d' ' -f2)" ] &&
    ok || bad "hyco.pc's version is not hycod's"
# shellcheck disable=SC2086
$CC $CFLAGS $(pkg-config --cflags hyco) -o "$tmp/prog" "$tmp/prog.c" \
    $LDFLAGS $(pkg-config --libs hyco) 2>"$tmp/err" && ok || bad "prog: $(cat "$tmp/err")"
LD_LIBRARY_PATH=$root/usr/local/lib "$tmp/prog" "$sock" >"$tmp/out" 2>&1 &&
    grep -qx "created $tmp/cache/generated/synthetic_preds/cycle_007/burgers_128" "$tmp/out" &&
    ok || bad "prog, run: $(cat "$tmp/out")"
got=$(LD_LIBRARY_PATH=$root/usr/local/lib ldd "$tmp/prog" | awk '$1 == "libhyco.so.0" {print $3}')
[ "$got" = "$root/usr/local/lib/libhyco.so.0" ] && ok || bad "prog loads libhyco.so.0 from '$got'"
# Static: libhyco.a and what it needs, from pkg-config --static alone.
# shellcheck disable=SC2086
$CC $CFLAGS $(pkg-config --cflags hyco) -o "$tmp/prog_static" "$tmp/prog.c" \
    $LDFLAGS -Wl,-Bstatic $(pkg-config --static --libs hyco) -Wl,-Bdynamic \
    2>"$tmp/err" && ok || bad "prog, static: $(cat "$tmp/err")"
readelf -d "$tmp/prog_static" | grep -q 'NEEDED.*\(hyco\|msgpack\)' &&
    bad "prog_static needs a shared libhyco or msgpack-c" || ok
"$tmp/prog_static" "$sock" | grep -qx "found $tmp/cache/generated/synthetic_preds/cycle_007/burgers_128" &&
    ok || bad "prog_static, run"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
kill $pid; wait $pid && ok || bad "installed hycod exit status $?: $(cat "$tmp/hycod.log")"
pid=
others=$(nm -D --defined-only "$root/usr/local/lib/libhyco.so.$abi" | awk '{print $3}' | grep -v '^hyco_[^_]')
[ -z "$others" ] && ok || bad "the installed libhyco.so exports more than hyco_*: $others"

# -- the man pages ------------------------------------------------------------
man=$root/usr/local/share/man
for page in man1/hycoctl.1 man5/hyco.yaml.5 man8/hycod.8; do
	out=$(mandoc -T lint -W warning "$man/$page" 2>&1) && [ -z "$out" ] &&
	    ok || bad "mandoc -T lint $page: $out"
	MANWIDTH=80 man --warnings -E UTF-8 -l "$man/$page" >"$tmp/page" 2>"$tmp/err"
	[ $? = 0 ] && [ ! -s "$tmp/err" ] && [ "$(wc -l <"$tmp/page")" -gt 40 ] &&
	    ok || bad "man -l $page: $(cat "$tmp/err")"
done
missing=$("$hycod" --print-keys | cut -f1 | while read -r k; do
	grep -qx "\.It Cm $k\( Pq .*\)\?" "$man/man5/hyco.yaml.5" ||
	    grep -qx "\.Ss $k" "$man/man5/hyco.yaml.5" || echo "$k"; done)
[ -z "$missing" ] && ok || bad "keys missing from hyco.yaml(5): $missing"
missing=$("$root/usr/local/bin/hycoctl" --help | awk '/^commands:/ {f = 1; next}
    /^[a-z]/ {f = 0} f && /^  [a-z]/ {print $1}' | while read -r c; do
	grep -q "^\.It Cm $c\( \|$\)" "$man/man1/hycoctl.1" || echo "$c"; done)
[ -z "$missing" ] && ok || bad "commands missing from hycoctl(1): $missing"

# -- the units, verified where they are installed ------------------------------
# --root resolves every path in the units inside the tree, so the tree
# gets what a system has: its units (sysinit.target, ...) and kill.
vroot=$tmp/vroot
mkdir -p "$vroot/usr/lib/systemd" "$vroot/usr/bin"
cp -a /usr/lib/systemd/system "$vroot/usr/lib/systemd/"
cp /usr/bin/kill "$vroot/usr/bin/kill"
ln -s usr/bin "$vroot/bin"
ln -s usr/lib "$vroot/lib"
inst "$vroot" install && ok || bad "make install DESTDIR=$vroot"
out=$(cd / && MANPATH=$vroot/usr/local/share/man systemd-analyze verify \
    --root="$vroot" hycod.service hycod.socket 2>&1) && [ -z "$out" ] &&
    ok || bad "systemd-analyze verify: $out"
# It can fail: without the binary ExecStart names, verify says so.
mv "$vroot/usr/local/sbin/hycod" "$tmp/hycod.away"
(cd / && MANPATH=$vroot/usr/local/share/man systemd-analyze verify \
    --root="$vroot" hycod.service >/dev/null 2>&1) && bad "verify passes without hycod" || ok
mv "$tmp/hycod.away" "$vroot/usr/local/sbin/hycod"
exposure=$(cd / && systemd-analyze security --offline=true --root="$vroot" \
    hycod.service 2>&1 | sed -n 's/.*Overall exposure level for hycod.service: \([0-9.]*\) .*/\1/p')
echo "units: hycod.service exposure $exposure (at most $EXPOSURE_MAX)"
[ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= $EXPOSURE_MAX) }" &&
    ok || bad "exposure '$exposure' above $EXPOSURE_MAX"
unit=$vroot/usr/local/lib/systemd/system
for line in 'Type=notify' 'ExecStart=/usr/local/sbin/hycod -c /etc/hyco/config.yaml' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'User=hyco' 'Group=hyco' \
    'AmbientCapabilities=CAP_FOWNER' 'CapabilityBoundingSet=CAP_FOWNER' \
    'ReadWritePaths=/var/cache/hyco /run/hycod' 'ProtectSystem=strict'; do
	grep -qxF "$line" "$unit/hycod.service" && ok || bad "hycod.service lacks $line"
done
for line in 'ListenStream=/run/hycod/hycod.sock' 'SocketMode=0660' 'SocketGroup=hyco'; do
	grep -qxF "$line" "$unit/hycod.socket" && ok || bad "hycod.socket lacks $line"
done
# The snippets, applied to that root: the user, then its directories.
if [ "$(id -u)" = 0 ]; then
	systemd-sysusers --root="$vroot" >"$tmp/err" 2>&1 && ok || bad "sysusers: $(cat "$tmp/err")"
	uid=$(awk -F: '$1 == "hyco" {print $3}' "$vroot/etc/passwd")
	gid=$(awk -F: '$1 == "hyco" {print $3}' "$vroot/etc/group")
	[ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ -n "$gid" ] && ok || bad "sysusers made no system user hyco"
	systemd-tmpfiles --root="$vroot" --create >"$tmp/err" 2>&1 && ok || bad "tmpfiles: $(cat "$tmp/err")"
	[ "$(stat -c '%a %u %g' "$vroot/var/cache/hyco")" = "2755 $uid $gid" ] &&
	    ok || bad "cache root: $(stat -c '%a %u %g' "$vroot/var/cache/hyco")"
	[ "$(stat -c '%a %u %g' "$vroot/run/hycod")" = "755 $uid $gid" ] &&
	    ok || bad "run dir: $(stat -c '%a %u %g' "$vroot/run/hycod")"
else
	skipped "sysusers and tmpfiles snippets applied to a root: not root"
fi

# -- uninstall ----------------------------------------------------------------
inst "$root" uninstall && ok || bad "make uninstall DESTDIR=$root"
left=$(listing "$root")
[ -z "$left" ] && ok || bad "make uninstall left: $left"
# An operator's config: install keeps it, and so does uninstall.
root2=$tmp/root2
mkdir -p "$root2/etc/hyco"
echo "# the operator's" >"$root2/etc/hyco/config.yaml"
inst "$root2" install && ok || bad "make install over an operator's config"
grep -q "kept $root2/etc/hyco/config.yaml" "$tmp/make.log" && ok || bad "install says nothing of the kept config"
inst "$root2" uninstall && ok || bad "make uninstall DESTDIR=$root2"
[ "$(listing "$root2")" = "644 etc/hyco/config.yaml" ] &&
    [ "$(cat "$root2/etc/hyco/config.yaml")" = "# the operator's" ] &&
    ok || bad "operator's config after install and uninstall: $(listing "$root2")"

echo "install: $passed passed, $fail failed"
[ $fail = 0 ]
