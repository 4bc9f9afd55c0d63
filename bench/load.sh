#!/bin/sh
# bench/load.sh: request throughput and latency of hycod against
# redis-server answering PING, both on a Unix socket in the same run,
# driven by bench/loadgen (one thread, epoll, closed loop). For each
# request and each shape (clients x pipeline: 1, 16 and 50 clients
# pipelined 1 and 16, one client pipelined 100) loadgen runs Redis then
# hycod, twice over (A B A B), and prints one table row: hycod's rate,
# Redis PING's, their ratio, and p50 / p99 / p99.9 of both. Then
# summary again, against Redis answering GET with a value whose reply
# is as long as summary's (some 1.9 kB against PING's 7 bytes): what
# the size of the reply costs, apart from the work behind it.
#
# Needs $HYCOD, $TOP, $LOADGEN (make bench builds it), redis-server and
# redis-cli (Debian: redis-server, redis-tools) and /usr/bin/python3 with
# msgpack (python3-msgpack: make deps).
# BENCH_QUICK=1: one round of 0.2 s per row (about 25 s in all);
# otherwise BENCH_LOAD_SECONDS (1) a run, 2 rounds (about 4 minutes).
# BENCH_LOAD_METHODS and BENCH_LOAD_SHAPES ("1x1 16x1 ...") narrow it.
set -eu
if ! command -v redis-server >/dev/null; then
	echo "load: redis-server is not installed (apt-get install redis-server): skipped"
	exit 0
fi
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	T=0.2 W=0.05 R=1
else
	T=${BENCH_LOAD_SECONDS:-1} W=0.2 R=2
fi
METHODS=${BENCH_LOAD_METHODS:-"ping summary get-cycle-dir disk-check stats metrics"}
SHAPES=${BENCH_LOAD_SHAPES:-"1x1 16x1 50x1 1x16 16x16 50x16 1x100"}
B=$(mktemp -d /dev/shm/hyco-load-XXXXXX)
HP= RP=
trap 'kill $HP $RP 2>/dev/null; wait 2>/dev/null; rm -rf "$B"' EXIT

. "$TOP/bench/load_tree.sh"
C="$B/cache"
load_tree "$C"

redis-server --port 0 --unixsocket "$B/redis.sock" --save "" \
    --appendonly no --daemonize no >"$B/redis.log" 2>&1 &
RP=$!
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$C" 2>"$B/hycod.log" &
HP=$!
S="$C/hycod.sock"
wait_socket "load: hycod" "$S" "$B/hycod.log"
wait_socket "load: redis-server" "$B/redis.sock" "$B/redis.log"

echo "hycod $("$HYCOD" --version 2>&1 | head -1), $(redis-server --version | cut -d' ' -f1-3);" \
    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$R round(s) of $T s each side"
h=-H
each_shape() {	# LABEL REDIS_TARGET HYCOD_TARGET
	for shape in $SHAPES; do
		c=${shape%x*} p=${shape#*x}
		"$LOADGEN" $h -c "$c" -P "$p" -t "$T" -w "$W" -r "$R" -l "$1" \
		    "$2" "$3"
		h=
	done
}
for m in $METHODS; do
	each_shape "$m" "resp:$B/redis.sock:PING" "$(load_spec "$S" "$m")"
done
case " $METHODS " in *" summary "*)
	n=$(reply_bytes "$S" summary)
	# A bulk reply is $LEN CR LF, the value, CR LF: v + ${#v} + 5 = n.
	v=$((n - 5 - ${#n}))
	[ $((v + ${#v} + 5)) -eq "$n" ] || v=$((v + 1))
	head -c "$v" /dev/zero | tr '\0' x |
	    redis-cli -s "$B/redis.sock" -x SET blob >/dev/null
	if [ "$(redis-cli -s "$B/redis.sock" STRLEN blob)" != "$v" ]; then
		echo "load: redis-server did not keep the $v-byte value"
		exit 1
	fi
	each_shape "summary ($n B) vs Redis GET ($n B)" \
	    "resp:$B/redis.sock:GET:blob" "$(load_spec "$S" summary)"
esac
