#!/bin/sh
# run.sh: make fuzz. Runs each libFuzzer target in turn, one process
# (the machine's cores are shared), for SECONDS each:
#   sh tests/fuzz/run.sh BUILD SECONDS TIMEOUT RSS_MB NAME:MAXLEN...
# A target's corpus grows in BUILD/corpus/NAME (seeds: tests/fuzz/
# corpus/NAME), its output is BUILD/NAME.log. A crash, leak, timeout or
# out-of-memory is copied to tests/fuzz/regress/NAME/, where make check
# replays it from then on, and fails the run; each target is run even
# so, and a line per target gives runs, exec/s and corpus size.
set -u
b=$1 secs=$2 timeout=$3 rss=$4
shift 4
failed=0
for spec in "$@"; do
	t=${spec%%:*} maxlen=${spec#*:}
	mkdir -p "$b/corpus/$t" "$b/artifacts/$t"
	rm -f "$b/artifacts/$t"/*
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	echo "== fuzz $t: $secs s, -max_len=$maxlen"
	"$b/$t" -max_total_time="$secs" -max_len="$maxlen" \
	    -timeout="$timeout" -rss_limit_mb="$rss" -print_final_stats=1 \
	    $dict -artifact_prefix="$b/artifacts/$t/" \
	    "$b/corpus/$t" "tests/fuzz/corpus/$t" >"$b/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$b/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$b/$t.log")
	rss_mb=$(sed -n 's/^stat::peak_rss_mb: *//p' "$b/$t.log")
	inputs=$(ls "$b/corpus/$t" | wc -l)
	found=$(ls "$b/artifacts/$t" 2>/dev/null)
	if [ $rc -eq 0 ] && [ -n "$runs" ] && [ -z "$found" ]; then
		echo "$t: ok, ${runs} runs, ${rate} exec/s, peak RSS ${rss_mb} MB," \
		    "corpus $inputs inputs"
		continue
	fi
	failed=1
	echo "$t: FAILED (exit $rc; log $b/$t.log):"
	grep -E '^(==[0-9]+==|SUMMARY|.*runtime error|fuzz_)' "$b/$t.log" | head -20
	mkdir -p "tests/fuzz/regress/$t"
	for f in $found; do
		cp "$b/artifacts/$t/$f" "tests/fuzz/regress/$t/$f"
		echo "$t: kept tests/fuzz/regress/$t/$f (reproduce: $b/$t" \
		    "tests/fuzz/regress/$t/$f)"
	done
done
[ $failed = 0 ] && echo "fuzz: all passed"
exit $failed
