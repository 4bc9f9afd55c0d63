#!/bin/sh
# bench/run.sh: hycod against real references in the same run.
#   1. request rate: hycod ping vs redis-server PING, same Unix-socket
#      setup, one connection, pipelined 1 and 100 deep.
#   2. summary on a tree of N small files vs `du -sb` of the same tree.
#   3. bench/index.py: start-up index vs du -sb, summary latency, events/s,
#      memory per file (100k and 1M files).
#   4. bench/removal.py: a cycle of N files, reply and last byte freed vs
#      rm -rf, summary p99 during the removal vs idle.
#   5. bench/obs.py: metrics on 100 datasets and 1000 cycles vs summary
#      and ping; throughput with 100 subscribers attached vs none.
#   6. bench/python_cache.py: hyco.CacheManager's get_cache_size() and
#      print_cache_summary() vs the seed's rglob+stat walk on a tree of
#      $BENCH_FILES files when set, else 1M.
#   7. bench/startup.py: time to first reply and to exact summary at
#      100k, 1M and 5M files (sizes without free inodes are skipped).
# Needs $HYCOD, $TOP; BENCH_FILES (default 100000) sets the tree size.
set -eu
N=${BENCH_FILES:-100000}
REQS=${BENCH_REQS:-200000}
B=$(mktemp -d /dev/shm/hyco-bench-XXXXXX)
BR="$TOP/build/obj/bench"
mkdir -p "$BR"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$TOP/protocol" -o "$BR/bench_rpc" \
    "$TOP/bench/bench_rpc.c" "$TOP/protocol/proto.c" $(pkg-config --libs msgpack)
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$B/cache" 2>"$B/hycod.log" &
HP=$!
RP=
trap 'kill $HP $RP 2>/dev/null; wait 2>/dev/null; rm -rf "$B"' EXIT
for i in $(seq 100); do [ -S "$B/cache/hycod.sock" ] && break; sleep 0.05; done
S="$B/cache/hycod.sock"

echo "== 1. request rate (one connection, Unix socket)"
"$BR/bench_rpc" "$S" ping "$REQS" 100
"$BR/bench_rpc" "$S" ping $((REQS / 10)) 1
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
	redis-server --port 0 --unixsocket "$B/redis.sock" --save "" \
	    --appendonly no --daemonize no >"$B/redis.log" 2>&1 &
	RP=$!
	for i in $(seq 100); do [ -S "$B/redis.sock" ] && break; sleep 0.05; done
	printf "redis depth 100: "
	redis-benchmark -s "$B/redis.sock" -c 1 -P 100 -n "$REQS" -t ping -q 2>&1 | tr "\r" "\n" | grep "per second" | tail -1
	printf "redis depth 1: "
	redis-benchmark -s "$B/redis.sock" -c 1 -P 1 -n $((REQS / 10)) -t ping -q 2>&1 | tr "\r" "\n" | grep "per second" | tail -1
else
	echo "(redis-server/redis-benchmark not installed: apt-get install redis-server redis-tools)"
fi

echo "== 2. summary vs du -sb on $N files"
d="$B/cache/tensors/burgers_128"
mkdir -p "$d"
i=0
while [ $i -lt $((N / 1000)) ]; do
	mkdir -p "$d/s$i"
	( cd "$d/s$i" && seq 1000 | xargs touch )
	i=$((i + 1))
done
t0=$(date +%s.%N); du -sb "$B/cache" >/dev/null; t1=$(date +%s.%N)
"$HYCOD" --version >/dev/null
t2=$(date +%s.%N); "$TOP/bin/hycoctl" --socket "$S" summary >/dev/null; t3=$(date +%s.%N)
echo "du -sb: $(echo "$t1 - $t0" | bc) s; hycoctl summary: $(echo "$t3 - $t2" | bc) s;" \
    "ratio summary/du = $(echo "scale=2; ($t3 - $t2) / ($t1 - $t0)" | bc)"

echo "== 3. the index (bench/index.py)"
/usr/bin/python3 "$TOP/bench/index.py"

echo "== 4. removal of a cycle (bench/removal.py)"
BENCH_FILES=$N /usr/bin/python3 "$TOP/bench/removal.py"

echo "== 5. observability (bench/obs.py)"
BENCH_RPC="$BR/bench_rpc" /usr/bin/python3 "$TOP/bench/obs.py"

echo "== 6. Python CacheManager vs the seed's walk (bench/python_cache.py)"; /usr/bin/python3 "$TOP/bench/python_cache.py"

echo "== 7. serving from the first moment (bench/startup.py)"
/usr/bin/python3 "$TOP/bench/startup.py"
