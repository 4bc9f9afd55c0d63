#!/bin/sh
# bench/profile.sh: where hycod's time goes under load. Starts hycod on
# the tree bench/load.sh uses, drives one request with bench/loadgen
# (CLIENTS connections, PIPELINE requests each) and records hycod with
# perf for SECONDS, call graphs included; then prints the symbols that
# took most samples, and what the system calls took with their callees.
#
#   HYCOD=bin/hycod TOP=$PWD LOADGEN=build/obj/bench/loadgen \
#       sh bench/profile.sh METHOD [CLIENTS [PIPELINE [SECONDS]]]
#
# The data stays in $PERF_DATA (default /tmp/hyco-METHOD.perf) for
# perf report. Needs perf (Debian: linux-perf) and root, or a
# kernel.perf_event_paranoid that lets this user record.
set -eu
M=${1:?usage: profile.sh METHOD [CLIENTS [PIPELINE [SECONDS]]]}
C=${2:-16} P=${3:-1} T=${4:-3}
OUT=${PERF_DATA:-/tmp/hyco-$M.perf}
command -v perf >/dev/null || { echo "profile: perf is not installed (apt-get install linux-perf)"; exit 1; }
B=$(mktemp -d /dev/shm/hyco-profile-XXXXXX)
HP= PP=
trap 'kill $HP $PP 2>/dev/null; wait 2>/dev/null; rm -rf "$B"' EXIT

. "$TOP/bench/load_tree.sh"
C2="$B/cache"
load_tree "$C2"
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$C2" 2>"$B/hycod.log" &
HP=$!
S="$C2/hycod.sock"
wait_socket "profile: hycod" "$S" "$B/hycod.log"
spec=$(load_spec "$S" "$M")
# Warm: the buffers grown, the summary's parts packed.
"$LOADGEN" -c "$C" -P "$P" -t 0.5 -w 0.2 -r 1 -l "$M" "$spec" "$spec" >/dev/null
perf record -q -F 2999 -g -o "$OUT" -p "$HP" -- sleep "$T" 2>/dev/null &
PP=$!
rate=$("$LOADGEN" -c "$C" -P "$P" -t "$T" -w 0 -r 1 -l "$M" "$spec" "$spec" |
    cut -d'|' -f5)
wait "$PP" || true
PP=
echo "== $M, $C clients, pipeline $P: $rate req/s while recorded"
echo "== symbols by samples (self)"
perf report -i "$OUT" --no-children --sort dso,sym --stdio -g none \
    --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$'
echo "== the system calls, with what the kernel did in them (children)"
perf report -i "$OUT" --children --sort sym --stdio -g none 2>/dev/null |
    grep -E '\[\.\] (__GI___libc_write|read|epoll_wait|epoll_ctl|__GI___ioctl|clock_gettime.*|__statvfs.*)$'
