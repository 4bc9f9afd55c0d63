#!/bin/sh
# two_users.sh: the daemon's user removes what a trainer's user leaves.
# As root: the user and group hyco from the sysusers snippet (applied
# with systemd-sysusers, idempotent), a trainer user in group hyco and
# the cache root and socket directory from the tmpfiles snippet (paths
# moved into a temporary tree). hycod runs with the credentials of the
# installed unit (User, Group, UMask, AmbientCapabilities,
# CapabilityBoundingSet, NoNewPrivileges read from it, through setpriv);
# the trainer (umask 022) gets a cycle directory through hycod, writes
# files, a 0755 nested directory with files in it, and a cycle
# directory of its own made as the seed's trainer does (mkdir -p);
# cleanup-cycle removes it all, on disk and in summary. The trainer may
# not enter the trash nor rename what the cache root holds; a user
# outside the group may not connect nor write. Without the unit's
# capability the same removal is refused: the capability is what the
# removal needs, and all it needs.
# Needs $TOP, $HYCOD, $HYCOCTL (make check), build/dist/ (make dist).
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIPPED: two users: needs root to create users and switch to them"
	exit 0
fi
fail=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
TRAINER=hyco-trainer	# this test's own user, made once, kept
OUTSIDER=nobody		# in no group of ours
unit=$TOP/build/dist/hycod.service
tmp=$(mktemp -d /tmp/hyco-two-users.XXXXXX) || exit 1
chmod 0755 "$tmp"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# -- users, as the package makes them, and a trainer -------------------------
systemd-sysusers "$TOP/build/dist/hyco.sysusers" && ok || bad "systemd-sysusers"
getent group hyco >/dev/null && getent passwd hyco >/dev/null && ok || bad "no user hyco"
getent passwd "$TRAINER" >/dev/null ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$TRAINER"
in_hyco() { id -nG "$1" | tr ' ' '\n' | grep -qx hyco; }
in_hyco "$TRAINER" || usermod -aG hyco "$TRAINER"
in_hyco "$TRAINER" && ok || bad "$TRAINER is not in group hyco"
in_hyco "$OUTSIDER" && bad "$OUTSIDER is in group hyco" || ok

# -- the tree, as tmpfiles makes it --------------------------------------------
cache=$tmp/cache
run=$tmp/run
sed -e "s|/var/cache/hyco|$cache|; s|/run/hycod|$run|" \
    "$TOP/build/dist/hyco.tmpfiles" >"$tmp/tmpfiles.conf"
systemd-tmpfiles --create "$tmp/tmpfiles.conf" && ok || bad "systemd-tmpfiles"
[ "$(stat -c '%a %U %G' "$cache")" = "2755 hyco hyco" ] && ok || bad "cache root: $(stat -c '%a %U %G' "$cache")"
mkdir "$tmp/bin"
cp "$HYCOD" "$HYCOCTL" "$tmp/bin/"
cp "$TOP/build/dist/config.yaml" "$tmp/config.yaml"
chmod 0755 "$tmp/bin"
chmod 0644 "$tmp/config.yaml"
sock=$run/hycod.sock
ctl() { "$tmp/bin/hycoctl" --socket "$sock" "$@"; }

# -- the unit's credentials, read from the unit --------------------------------
setting() { sed -n "s/^$1=//p" "$unit"; }
caps() {	# CAP_FOWNER CAP_X -> -all,+fowner,+x
	printf '%s' -all
	for c in $1; do printf ',+%s' "$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done
}
user=$(setting User) group=$(setting Group) umask=$(setting UMask)
ambient=$(setting AmbientCapabilities) bounding=$(setting CapabilityBoundingSet)
[ "$user" = hyco ] && [ "$group" = hyco ] && [ -n "$umask" ] && [ -n "$ambient" ] &&
    [ "$(setting NoNewPrivileges)" = yes ] && ok || bad "the unit's credentials"
start() {	# ambient-and-bounding-caps: hycod as the unit runs it
	setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
	    --inh-caps="$1" --ambient-caps="$1" --bounding-set="$1" -- \
	    sh -c "umask $umask; exec $tmp/bin/hycod -c $tmp/config.yaml \
	    paths.cache_root=$cache daemon.socket=$sock ${EXTRA:-}" 2>"$tmp/hycod.log" &
	pid=$!
	# Listening, not only bound: ping answers.
	for _ in $(seq 200); do ctl ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() {
	kill $pid
	wait $pid && ok || bad "hycod exit status $?: $(cat "$tmp/hycod.log")"
	pid=
}
as() {	# user command...: as that user, in its groups, umask 022
	u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
	    sh -c "umask 022; $*"
}
summary() {	# python expression on the summary s
	ctl --json -v summary | /usr/bin/python3 -c "import json, sys
s = json.load(sys.stdin); print($1)"
}

# -- what a trainer leaves in a cycle --------------------------------------------
# Echoes the cycle directory hycod made; the physical one is the
# trainer's own, made the seed's way. Fails if the trainer cannot.
leave() {	# cycle
	d=$(as "$TRAINER" "$tmp/bin/hycoctl --socket $sock cycle-dir --kind synthetic --cycle $1") &&
	as "$TRAINER" "head -c 1000 /dev/zero >$d/preds.pt &&
	    mkdir $d/nested && head -c 2000 /dev/zero >$d/nested/b.pt &&
	    mkdir $d/nested/deeper && head -c 3000 /dev/zero >$d/nested/deeper/c.pt &&
	    mkdir -p $cache/generated/physical_preds/cycle_00$1/burgers_128/sub &&
	    head -c 4000 /dev/zero >$cache/generated/physical_preds/cycle_00$1/burgers_128/sub/d.pt" &&
	echo "$d"
}

start "$(caps "$ambient")"
[ -S "$sock" ] && ok || bad "hycod did not start: $(cat "$tmp/hycod.log")"
[ "$(stat -c '%a %U %G' "$sock")" = "660 hyco hyco" ] && ok || bad "socket: $(stat -c '%a %U %G' "$sock")"
# setpriv and sh exec hycod: $pid is hycod, holding CAP_FOWNER alone.
for set in CapEff CapPrm CapBnd; do
	grep -q "^$set:	0000000000000008$" "/proc/$pid/status" && ok ||
	    bad "hycod's $set: $(grep "^$set" "/proc/$pid/status")"
done
# Ambient no more: what hycod starts (alerts.command) gets no capability.
grep -q "^CapAmb:	0000000000000000$" "/proc/$pid/status" && ok ||
    bad "hycod's CapAmb: $(grep "^CapAmb" "/proc/$pid/status")"
dir=$(leave 5) && ok || bad "the trainer could not write in its cycle 5"
[ "$dir" = "$cache/generated/synthetic_preds/cycle_005/burgers_128" ] && ok || bad "cycle-dir: $dir"
# hycod's directories: dir_mode, group hyco; the trainer's stay in it.
[ "$(stat -c '%a %U %G' "$dir" "${dir%/*}")" = "2775 hyco hyco
2775 hyco hyco" ] && ok || bad "cycle directories: $(stat -c '%a %U %G' "$dir" "${dir%/*}")"
[ "$(stat -c '%a %U %G' "$dir/nested" "$dir/preds.pt")" = "2755 $TRAINER hyco
644 $TRAINER hyco" ] && ok || bad "trainer's entries: $(stat -c '%a %U %G' "$dir/nested" "$dir/preds.pt")"
for _ in $(seq 100); do
	[ "$(summary "s['generated'], s['exact']")" = "10000 True" ] && break; sleep 0.05
done
[ "$(summary "s['generated'], sorted((c['kind'], c['cycle']) for c in s['cycles'])")" = \
    "10000 [('physical', 5), ('synthetic', 5)]" ] && ok || bad "summary before: $(summary "s['generated'], s['cycles']")"

# -- what the trainer may not do ---------------------------------------------------
as "$TRAINER" "ls $cache/.trash" >/dev/null 2>&1 && bad "the trainer lists the trash" || ok
as "$TRAINER" "mv $cache/generated $cache/mine" 2>/dev/null && bad "the trainer renames a root" || ok
as "$TRAINER" "mv $cache/.trash $cache/mine" 2>/dev/null && bad "the trainer moves the trash" || ok
as "$TRAINER" "rm -f $sock" 2>/dev/null; [ -S "$sock" ] && ok || bad "the trainer removed the socket"
as "$OUTSIDER" "touch $dir/outsider" 2>/dev/null && bad "$OUTSIDER writes in a cycle" || ok
as "$OUTSIDER" "$tmp/bin/hycoctl --socket $sock ping" >/dev/null 2>&1
[ $? = 3 ] && ok || bad "$OUTSIDER reaches hycod"

# -- cleanup-cycle, by the trainer ----------------------------------------------------
out=$(as "$TRAINER" "$tmp/bin/hycoctl --socket $sock cleanup --cycle 5" 2>&1) && ok || bad "cleanup: $out"
for _ in $(seq 200); do
	[ -z "$(ls -A "$cache/.trash")" ] && [ "$(summary "s['trash_items']")" = 0 ] && break
	sleep 0.05
done
left=$(cd "$cache" && find . -path ./.trash -prune -o -path '*cycle_005*' -print; ls -A .trash)
[ -z "$left" ] && ok || bad "left after cleanup-cycle: $left"
[ "$(summary "s['generated'], s['cycles'], s['trash_items'], s['exact']")" = "0 [] 0 True" ] &&
    ok || bad "summary after: $(summary "s['generated'], s['cycles'], s['trash_items']")"
grep -E 'warn|error' "$tmp/hycod.log" && bad "hycod complained" || ok
stop

# -- without the capability: refused, and the tree stays -------------------------------
start -all
dir=$(leave 6) && ok || bad "the trainer could not write in its cycle 6"
as "$TRAINER" "$tmp/bin/hycoctl --socket $sock cleanup --cycle 6" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q 'Permission denied' "$tmp/out" && ok ||
    bad "cleanup of the trainer's own cycle directory, no capability: $(cat "$tmp/out")"
for _ in $(seq 100); do
	grep -q 'Permission denied' "$tmp/hycod.log" && break; sleep 0.05
done
grep -q 'Permission denied' "$tmp/hycod.log" && ok || bad "no capability: hycod reports no refusal"
[ -n "$(cd "$cache/.trash" && find . -name c.pt)" ] && ok || bad "no capability: the nested files are gone"
[ -f "$cache/generated/physical_preds/cycle_006/burgers_128/sub/d.pt" ] && ok ||
    bad "no capability: the trainer's own cycle directory was moved"
stop
grep 'Permission denied' "$tmp/hycod.log" | sed 's/^/  without CAP_FOWNER: /'

# -- alerts.command runs without hycod's capability ---------------------------
# Every filesystem is below a 100% warning level: the first sample is a
# change, and the hook records its own capability sets.
hook=$tmp/run/hook-caps
printf '#!/bin/sh\ngrep ^Cap /proc/self/status >%s.tmp && mv %s.tmp %s\n' \
    "$hook" "$hook" "$hook" >"$tmp/bin/hook.sh"
chmod 0755 "$tmp/bin/hook.sh"
EXTRA="alerts.warn_below=100% alerts.check_interval_s=0.1 alerts.command=[$tmp/bin/hook.sh]"
start "$(caps "$ambient")"
EXTRA=
for _ in $(seq 200); do [ -s "$hook" ] && break; sleep 0.05; done
for set in CapEff CapPrm CapAmb; do
	grep -q "^$set:	0000000000000000$" "$hook" && ok ||
	    bad "the alert hook's $set: $(grep "^$set" "$hook" 2>/dev/null || echo 'no hook ran')"
done
stop

echo "two users: $passed passed, $fail failed"
[ $fail = 0 ]
