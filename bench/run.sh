#!/bin/sh
# bench/run.sh: hycod against real references in the same run.
#   1. bench/load.sh: requests per second and latency of ping, summary,
#      get-cycle-dir, disk-check, stats and metrics vs redis-server
#      PING, Unix sockets, 1/16/50 clients pipelined 1 and 16, and one
#      client pipelined 100 (bench/loadgen, one thread, epoll).
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
# Needs $HYCOD, $TOP, $LOADGEN; BENCH_FILES (default 100000) sets the
# tree size. BENCH_QUICK=1 runs section 1 alone, short (under a minute).
set -eu
N=${BENCH_FILES:-100000}
echo "== 1. requests vs redis-server PING (bench/load.sh)"
sh "$TOP/bench/load.sh"
[ "${BENCH_QUICK:-0}" = 1 ] && exit 0

B=$(mktemp -d /dev/shm/hyco-bench-XXXXXX)
BR="$TOP/build/obj/bench"
mkdir -p "$BR"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$TOP/protocol" -o "$BR/bench_rpc" \
    "$TOP/bench/bench_rpc.c" "$TOP/protocol/proto.c" $(pkg-config --libs msgpack)
"$HYCOD" -c "$TOP/conf/config.yaml" paths.cache_root="$B/cache" 2>"$B/hycod.log" &
HP=$!
trap 'kill $HP 2>/dev/null; wait 2>/dev/null; rm -rf "$B"' EXIT
for i in $(seq 100); do [ -S "$B/cache/hycod.sock" ] && break; sleep 0.05; done
S="$B/cache/hycod.sock"

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
