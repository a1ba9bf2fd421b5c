#!/bin/sh
# Executor benchmark: figures measured in this run, on this machine.
#   1. transports: cost per message and bandwidth (autotune calibrate)
#   2. exp over 10,000,000 doubles in every mode, transport, worker count
#      and partitioning, against the serial loop and the ideal (serial /
#      usable CPUs); and against numpy + multiprocessing.Pool when
#      python3-numpy is installed
#   3. svd 1000, 16 items: 2 workers x 1 BLAS thread, serial with default
#      threads, 2 workers x 2 threads (oversubscribed), serial 1 thread
# Configurations are interleaved over ROUNDS rounds (A B C A B C ...), so
# drift on a shared machine falls on all alike; each figure is a median.
# Usage: tests/bench/bench-executor.sh [ROUNDS]   (from the build tree)
set -u
AUTOTUNE=${AUTOTUNE:-./tuner/autotune}
ROUNDS=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
cpus=$("$AUTOTUNE" fingerprint | sed -n 's/.*usable_cpus: \([0-9]*\).*/\1/p')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# run NAME workload size items options...: appends one median_s to NAME
run() {
    name=$1; shift
    "$AUTOTUNE" run --format yaml "$@" > "$tmp/out" 2>&1 ||
        { echo "failed: $*"; cat "$tmp/out"; exit 1; }
    grep -q '^verified: true' "$tmp/out" || { echo "not verified: $*"; exit 1; }
    sed -n 's/^median_s: //p' "$tmp/out" >> "$tmp/$name"
}
fig() { median < "$tmp/$1"; }
calc() { awk "BEGIN { print $1 }"; }

echo "== machine: $cpus usable CPUs; $ROUNDS interleaved rounds per figure"
echo
echo "== 1. transports"
"$AUTOTUNE" calibrate
echo

echo "== 2. exp over 10,000,000 doubles (median of $ROUNDS rounds x median of 5)"
exp_configs="serial:--workers 1 --partitions 1"
w=1
while [ "$w" -le "$cpus" ]; do
    for mode in process thread; do
        for tr in pipe shm; do
            for m in 1 4 16; do
                p=$((w * m))
                exp_configs="$exp_configs
w$w-$mode-$tr-p$p:--workers $w --mode $mode --transport $tr --partitions $p --pin cores"
            done
        done
    done
    w=$((w + 1))
done
for r in $(seq "$ROUNDS"); do
    # a here-document, not a pipe: a failure must stop the script
    while IFS=: read -r name opts; do
        # shellcheck disable=SC2086
        run "exp-$name" --workload exp --size 10000000 --repeat 5 --warmup 1 $opts
    done <<CONFIGS
$exp_configs
CONFIGS
done
serial=$(fig exp-serial)
printf '%-28s %10s %10s\n' configuration seconds "vs serial"
best_name=serial best=$serial
for f in "$tmp"/exp-*; do
    name=${f##*/exp-}
    t=$(fig "exp-$name")
    printf '%-28s %10.4f %9.2fx\n' "$name" "$t" "$(calc "$serial / $t")"
    if [ "$(calc "$t < $best")" = 1 ]; then best=$t best_name=$name; fi
done
ideal=$(calc "$serial / $cpus")
printf 'serial %.4f s; ideal (serial / %d CPUs) %.4f s; best %s %.4f s = %.2fx the ideal (target <= 1.3x)\n' \
    "$serial" "$cpus" "$ideal" "$best_name" "$best" "$(calc "$best / $ideal")"

PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
    "$PY" "$here/exp_multiprocessing.py" "$cpus" "$ROUNDS" > "$tmp/py"
    cat "$tmp/py"
    pybest=$(sed -n 's/^best: //p' "$tmp/py")
    printf 'autotune best %.4f s vs Python multiprocessing best %.4f s: %.1fx faster (target >= 3x)\n' \
        "$best" "$pybest" "$(calc "$pybest / $best")"
else
    echo "(python3-numpy not installed: no Python comparison)"
fi
echo

echo "== 3. svd 1000 x 16 items (median of $ROUNDS interleaved rounds)"
for r in $(seq "$ROUNDS"); do
    run svd-2x1 --workload svd --size 1000 --items 16 --repeat 1 --warmup 0 \
        --workers 2 --mode process --blas-threads 1 --transport shm --pin cores --chunk-size 1
    run svd-serial-default --workload svd --size 1000 --items 16 --repeat 1 --warmup 0 \
        --workers 1 --blas-threads "$cpus" --pin none
    run svd-2x2 --workload svd --size 1000 --items 16 --repeat 1 --warmup 0 \
        --workers 2 --mode process --blas-threads 2 --transport shm --pin none --chunk-size 1
    run svd-serial-1 --workload svd --size 1000 --items 16 --repeat 1 --warmup 0 \
        --workers 1 --blas-threads 1 --pin none
done
s1=$(fig svd-serial-1)
for name in svd-2x1 svd-serial-default svd-2x2 svd-serial-1; do
    t=$(fig "$name")
    printf '%-22s %8.3f s  speedup over serial 1 thread %.2fx\n' "$name" "$t" "$(calc "$s1 / $t")"
done
printf 'parallel efficiency of 2 workers x 1 thread: %.2f (target >= 0.85)\n' \
    "$(calc "$s1 / (2 * $(fig svd-2x1))")"
