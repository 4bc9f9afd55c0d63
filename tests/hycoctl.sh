#!/bin/sh
# hycoctl.sh: the CLI's output and exit codes against a real hycod.
# Needs $HYCOD, $HYCOCTL and $TOP (set by make check).
set -u
fail=0 passed=0
dir=$(mktemp -d /dev/shm/hycoctl-XXXXXX 2>/dev/null || mktemp -d)
sock="$dir/cache/hycod.sock"
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$dir/cache" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# expect CODE CMD...: run CMD, check its exit status.
expect() {
	want=$1; shift
	"$@" >"$dir/out" 2>"$dir/err"; got=$?
	[ "$got" = "$want" ] && ok || bad "$* exited $got, want $want: $(cat "$dir/err")"
}
ctl() { "$HYCOCTL" --socket "$sock" "$@"; }
# json EXPR: the last output is strict JSON (tests/jsoncheck.py) and the
# Python expression EXPR holds for it, as d.
json() {
	/usr/bin/python3 "$TOP/tests/jsoncheck.py" "$1" <"$dir/out" >"$dir/why" &&
	    ok || bad "--json: $(cat "$dir/why")"
}

expect 0 ctl ping
grep -q "^hycod 0.1.0 pid $pid " "$dir/out" && ok || bad "ping output: $(cat "$dir/out")"

# cycle-dir prints the path alone, for dir=$(hycoctl cycle-dir ...)
d=$(ctl cycle-dir --kind synthetic --cycle 3)
[ "$d" = "$dir/cache/generated/synthetic_preds/cycle_003/burgers_128" ] && [ -d "$d" ] && ok || bad "cycle-dir printed '$d'"
dd if=/dev/zero of="$d/gen_000000.pt" bs=1000000 count=30 2>/dev/null

# Global options before or after the command; env var finds the socket.
expect 0 "$HYCOCTL" summary --socket "$sock"
expect 0 env HYCO_SOCKET="$sock" "$HYCOCTL" summary
grep -q "^Generated cache: 0.03 GB$" "$dir/out" && ok || bad "summary: $(cat "$dir/out")"
grep -q "^CACHE USAGE SUMMARY$" "$dir/out" && ok || bad "summary header"
expect 0 ctl summary -v
grep -q "^synthetic *3 *30000000 *1$" "$dir/out" && ok || bad "summary -v: $(cat "$dir/out")"
expect 0 ctl --json summary
grep -q '"generated": 30000000' "$dir/out" && ok || bad "--json: $(cat "$dir/out")"
json 'd["generated"] == 30000000 and d["cycles"][0]["files"] == 1'
expect 0 ctl --json ping
json 'd["pid"] == '$pid' and d["version"] == "0.1.0"'
expect 0 ctl --json cycle-dir --kind synthetic --cycle 3
json 'd["path"] == "'"$d"'" and d["created"] is False'
# The socket from a config file given with -c.
printf 'paths:\n  cache_root: %s/cache\n' "$dir" >"$dir/c.yaml"
expect 0 "$HYCOCTL" -c "$dir/c.yaml" ping

expect 0 ctl cleanup --cycle 3 --kind synthetic
grep -q "^freed 30000000 bytes" "$dir/out" && ok || bad "cleanup: $(cat "$dir/out")"
expect 0 ctl clean generated
expect 0 ctl --json clean generated
json 'd == {"freed_bytes": 0}'
expect 0 ctl disk-check --required 1K
expect 2 ctl disk-check --required 1000P
grep -q "NOT ENOUGH SPACE" "$dir/out" && ok || bad "disk-check output"
expect 2 ctl --json disk-check --required 1000P
json 'd["ok"] is False and d["required_bytes"] == 10**18'
expect 0 ctl disk-check --required 1.5M
expect 0 ctl disk-check --required 1GiB

# Refusals exit 1 with the daemon's message on stderr.
expect 1 ctl cycle-dir --kind synthetic --cycle -1
grep -q "invalid_argument" "$dir/err" && ok || bad "refusal message"
expect 1 ctl cycle-dir --kind nope --cycle 1
expect 1 ctl cycle-dir --kind synthetic --cycle 1 --dataset ../x
# Usage errors exit 1 and do not reach the daemon.
expect 1 ctl
expect 1 ctl frobnicate
expect 1 ctl cycle-dir --cycle 1
expect 1 ctl cleanup
expect 1 ctl clean nothing
expect 1 ctl disk-check --required 12Q
expect 1 ctl disk-check --required -5G
expect 1 ctl cycle-dir --kind synthetic --cycle x
expect 0 ctl --help
# clean: asks first; without a terminal and without --yes it refuses.
t="$dir/cache/tensors"
mkdir -p "$t/ds_a" "$t/ds_b" "$dir/cache/evaluation/ds_a"
echo tensor >"$t/ds_a/x.pt"; echo tensor >"$t/ds_b/x.pt"
echo ev >"$dir/cache/evaluation/ds_a/e.pt"
expect 1 ctl clean tensors </dev/null
grep -q "pass --yes" "$dir/err" && [ -f "$t/ds_a/x.pt" ] && ok || bad "clean without --yes: $(cat "$dir/err")"
expect 1 ctl --json clean all </dev/null
[ -f "$t/ds_b/x.pt" ] && ok || bad "clean all without --yes removed data"
expect 0 ctl clean tensors --dataset ds_a --yes
[ ! -e "$t/ds_a" ] && [ -f "$t/ds_b/x.pt" ] && [ -f "$dir/cache/evaluation/ds_a/e.pt" ] && ok || bad "clean tensors --dataset ds_a took too much or too little"
grep -q "^removed $t/ds_a$" "$dir/out" && ok || bad "clean output: $(cat "$dir/out")"
g1=$(ctl cycle-dir --kind synthetic --cycle 5 --dataset ds_a)
g2=$(ctl cycle-dir --kind physical --cycle 6 --dataset ds_a)
g3=$(ctl cycle-dir --kind physical --cycle 6 --dataset ds_b)
echo p >"$g1/p.pt"; echo p >"$g3/p.pt"
expect 0 ctl clean generated --dataset ds_a --yes
[ ! -e "$g1" ] && [ ! -e "$g2" ] && [ -f "$g3/p.pt" ] && ok || bad "clean generated --dataset ds_a"
expect 0 ctl clean all -y
[ -z "$(ls "$t")" ] && [ -z "$(ls "$dir/cache/evaluation")" ] && ok || bad "clean all left $(ls "$t" "$dir/cache/evaluation")"
expect 0 ctl --json summary
grep -q '"tensors": 0, "generated": 0, "eval": 0' "$dir/out" && ok || bad "summary after clean all: $(cat "$dir/out")"
json 'd["tensors"] == d["generated"] == d["eval"] == 0'
# Names need not be UTF-8 on disk; --json escapes each stray byte as
# the code point of the same number (client/json.h) and stays valid.
ff=$(printf '\377')
mkdir -p "$t/ds_$ff" && echo x >"$t/ds_$ff/x.pt"
expect 0 ctl --json summary
json 'd["datasets"]["ds_\u00ff"]["tensors"] == 2'
expect 0 ctl summary -v
grep -q "^ds_$ff " "$dir/out" && ok || bad "summary -v with a non-UTF-8 name: $(cat "$dir/out")"
expect 0 ctl --json cycle-dir --kind physical --cycle 8 --dataset "n$ff"
json 'd["path"].endswith("/cycle_008/n\u00ff") and d["created"] is True'
[ -d "$dir/cache/generated/physical_preds/cycle_008/n$ff" ] && ok || bad "cycle-dir n\\377 not made"
expect 0 ctl --json clean tensors --dataset "ds_$ff" --yes
json 'd["removed"] == ["'"$t"'/ds_\u00ff"] and d["freed_bytes"] == 2'
[ ! -e "$t/ds_$ff" ] && ok || bad "clean of ds_\\377 left it"
# prune --dry-run shows, and removes nothing.
expect 0 ctl prune --dry-run
grep -q "^dry run: nothing removed" "$dir/out" && ok || bad "prune --dry-run: $(cat "$dir/out")"
expect 0 ctl --json prune --dry-run
grep -q '"dry_run": true' "$dir/out" && ok || bad "prune --json: $(cat "$dir/out")"
json 'd["dry_run"] is True and isinstance(d["items"], list)'
# Options in any place and spelling getopt_long takes.
expect 0 ctl prune --dry-run --json
json 'd["dry_run"] is True'
expect 0 "$HYCOCTL" ping --socket="$sock" --dry
expect 1 "$HYCOCTL" --json=x ping --socket="$sock"
grep -q "^hycoctl: --json=x: the option takes no value" "$dir/err" && ok || bad "--json=x: $(cat "$dir/err")"
expect 1 ctl -x ping
grep -q "^hycoctl: unknown option -x" "$dir/err" && ok || bad "-x: $(cat "$dir/err")"
expect 1 ctl ping --kind
grep -q "needs a value" "$dir/err" && ok || bad "--kind without a value: $(cat "$dir/err")"
expect 1 ctl ping --frobnicate
grep -q "unknown option --frobnicate" "$dir/err" && ok || bad "unknown option: $(cat "$dir/err")"
expect 1 ctl ping extra
grep -q "unexpected argument 'extra'" "$dir/err" && ok || bad "extra operand: $(cat "$dir/err")"
expect 1 ctl clean tensors extra --yes
# Output that cannot be written is a failure.
expect 1 sh -c '"$0" --socket "$1" summary >/dev/full' "$HYCOCTL" "$sock"
grep -q "stdout" "$dir/err" && ok || bad "summary >/dev/full: $(cat "$dir/err")"

# stats and metrics.
expect 0 ctl stats
grep -q "^get-cycle-dir  *[0-9][0-9]*  *[0-9][0-9]* " "$dir/out" && ok || bad "stats: $(cat "$dir/out")"
grep -q "^ds_a  *0  *1  *0  *1 " "$dir/out" && ok || bad "stats per dataset: $(cat "$dir/out")"
expect 0 ctl --json stats
json 'd["methods"]["get-cycle-dir"]["requests"] >= 6 and d["cycle_dirs"]["datasets"]["ds_a"]["misses"] == {"synthetic": 1, "physical": 1}'
expect 0 ctl metrics
grep -q '^hyco_build_info{version="0.1.0"} 1$' "$dir/out" && ok || bad "metrics: $(head -5 "$dir/out")"
promtool check metrics <"$dir/out" >"$dir/why" 2>&1 && ok || bad "promtool check metrics: $(cat "$dir/why")"
expect 0 ctl --json metrics
json 'd["text"].startswith("# HELP hyco_build_info ") and d["content_type"].startswith("text/plain; version=0.0.4")'


# Unreachable daemon: 3.
expect 3 "$HYCOCTL" --socket "$dir/nope.sock" ping
expect 3 "$HYCOCTL" --socket "$dir/nope.sock" disk-check --required 1G

# summary shows the alert level and each filesystem's time to full.
expect 0 ctl summary
grep -q "^Alert level:     \(ok\|WARNING\|CRITICAL\)$" "$dir/out" && ok || bad "summary: no alert level: $(cat "$dir/out")"
grep -q "^  /.* free of .*, \(not filling\|full in .*\)$" "$dir/out" && ok || bad "summary: no filesystem line: $(cat "$dir/out")"
expect 0 ctl --json summary
json 'd["alert_level"] in ("ok", "warning", "critical") and len(d["filesystems"]) == 1 and d["filesystems"][0]["path"] == "'"$dir"'/cache"'
level=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["alert_level"])' <"$dir/out")
# check: hycod's own levels, then --warn/--critical: each exit status.
case $level in ok) want=0 st=OK;; warning) want=1 st=WARNING;; *) want=2 st=CRITICAL;; esac
expect $want ctl check
grep -q "^HYCO $st - .* free ([0-9.]*%) | free_bytes=[0-9]*B;[0-9]*:;[0-9]*:;0;[0-9]*$" "$dir/out" && ok || bad "check: $(cat "$dir/out")"
expect 0 ctl check --warn 0% --critical 0
grep -q "^HYCO OK - .* | free_bytes=[0-9]*B;;;0;[0-9]*$" "$dir/out" && ok || bad "check OK: $(cat "$dir/out")"
expect 1 ctl check --warn 100%
grep -q "^HYCO WARNING - " "$dir/out" && ok || bad "check WARNING: $(cat "$dir/out")"
expect 2 ctl check --warn 100% --critical 100%
grep -q "^HYCO CRITICAL - " "$dir/out" && ok || bad "check CRITICAL: $(cat "$dir/out")"
expect 1 ctl check --inodes --warn 100% --critical 1
grep -q "inodes free .* free_inodes=[0-9]*;[0-9]*:;1:;0;[0-9]*$" "$dir/out" && ok || bad "check --inodes: $(cat "$dir/out")"
# UNKNOWN: a daemon it cannot reach, bad arguments, a plugin line each.
expect 3 "$HYCOCTL" --socket "$dir/nope.sock" check
grep -q "^HYCO UNKNOWN - cannot reach hycod: " "$dir/out" && ok || bad "check unreachable: $(cat "$dir/out")"
expect 3 ctl check --warn lots
grep -q "^HYCO UNKNOWN - --warn takes" "$dir/out" && ok || bad "check --warn lots: $(cat "$dir/out")"
expect 3 ctl check --critical 101%
expect 3 ctl check --frobnicate
grep -q "^HYCO UNKNOWN - bad arguments" "$dir/out" && ok || bad "check --frobnicate: $(cat "$dir/out")"
expect 3 ctl --json check
expect 3 ctl check --warn
expect 1 ctl ping --watch
expect 1 ctl summary --interval 1
expect 1 ctl summary --watch --interval 0
# summary --watch: blocks again and again; Ctrl-C (SIGINT) exits 0.
"$HYCOCTL" --socket "$sock" summary --watch --interval 0.1 >"$dir/watch" 2>&1 &
wpid=$!
for i in $(seq 200); do
	[ "$(grep -c "^CACHE USAGE SUMMARY$" "$dir/watch" 2>/dev/null)" -ge 3 ] 2>/dev/null && break
	sleep 0.05
done
kill -INT $wpid; wait $wpid; rc=$?
[ $rc = 0 ] && [ "$(grep -c "^Every 0.1s: hycoctl summary" "$dir/watch")" -ge 3 ] && ! grep -q "$(printf '\033')" "$dir/watch" && ok || bad "summary --watch: exit $rc: $(head -20 "$dir/watch")"
# On a terminal each block replaces the last: clear and home first.
/usr/bin/python3 - "$HYCOCTL" "$sock" <<'PY' && ok || bad "summary --watch on a terminal"
import os, pty, select, signal, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "--socket", sys.argv[2], "summary",
                      "--watch", "--interval", "0.1"], stdout=s, stderr=s)
os.close(s)
out, deadline = b"", time.time() + 10
while out.count(b"CACHE USAGE SUMMARY") < 2 and time.time() < deadline:
    if select.select([m], [], [], 0.1)[0]:
        out += os.read(m, 65536)
p.send_signal(signal.SIGINT)
rc = p.wait(10)
sys.exit(0 if rc == 0 and out.startswith(b"\x1b[H\x1b[2J") and
         out.count(b"\x1b[H\x1b[2J") >= 2 else 1)
PY

# watch: one line an event, as it comes; --json one object a line;
# --events filters (shutdown ends it all the same, exit 0).
ctl watch >"$dir/watch" 2>&1 & w1=$!
ctl --json watch >"$dir/watchj" 2>&1 & w2=$!
ctl watch --events cycle_removed >"$dir/watchf" 2>&1 & w3=$!
# Each has subscribed once stats counts three subscribers.
for i in $(seq 100); do
	ctl --json stats >"$dir/out" 2>/dev/null
	grep -q '"subscribers": 3' "$dir/out" && break; sleep 0.05
done
d9=$(ctl cycle-dir --kind synthetic --cycle 9)
expect 0 ctl cleanup --cycle 9 --kind synthetic
for i in $(seq 100); do grep -q cycle_removed "$dir/watchf" && break; sleep 0.05; done
expect 1 ctl watch --events nope
grep -q "invalid_argument" "$dir/err" && ok || bad "watch --events nope: $(cat "$dir/err")"
expect 3 "$HYCOCTL" --socket "$dir/nope.sock" watch
kill $pid; wait $pid; st=$?
[ $st = 0 ] && ok || bad "hycod exit $st"
for w in $w1 $w2 $w3; do wait $w; st=$?; [ $st = 0 ] && ok || bad "watch exit $st: $(cat "$dir/watch" "$dir/watchj" "$dir/watchf")"; done
t='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{3\}Z'
grep -q "^$t cycle_created kind=synthetic cycle=9 dataset=burgers_128 path=$d9\$" "$dir/watch" && ok || bad "watch: $(cat "$dir/watch")"
grep -q "^$t cycle_removed kind=synthetic cycle=9 path=${d9%/*} bytes=0 why=request\$" "$dir/watch" && ok || bad "watch: $(cat "$dir/watch")"
tail -1 "$dir/watch" | grep -q "^$t shutdown signal=SIGTERM\$" && ok || bad "watch: last line $(tail -1 "$dir/watch")"
[ "$(wc -l <"$dir/watchf")" = 1 ] && grep -q "^$t cycle_removed " "$dir/watchf" && ok || bad "watch --events: $(cat "$dir/watchf")"
[ "$(wc -l <"$dir/watchj")" = 3 ] && ok || bad "watch --json: $(cat "$dir/watchj")"
/usr/bin/python3 -c '
import json, sys
evs = [json.loads(line) for line in open(sys.argv[1])]
assert [e["type"] for e in evs] == ["cycle_created", "cycle_removed", "shutdown"], evs
assert evs[0]["path"] == sys.argv[2] and evs[0]["cycle"] == 9, evs
assert all(isinstance(e["time"], float) for e in evs), evs
' "$dir/watchj" "$d9" && ok || bad "watch --json lines"

echo "hycoctl: $passed passed, $fail failed"
[ $fail = 0 ]
