#!/bin/sh
# Merge benchmark (issue 11, item 4): `autotune merge A B -o OUT` through
# the real program, OUT an existing profile, for profiles of 10,000,
# 20,000 and 100,000 entries (and a tenth as many samples) each: A holds
# keys [0, N), B [N/2, 3N/2), OUT [N/4, 5N/4), measured on days that
# differ by key, so an overlapping entry is newer, older or as old.
# Prints, measured in this run in interleaved rounds (medians): the wall
# time, the CPU time (user + system: a busy machine inflates it less) and
# the time OUT.lock is held (flock to close, from strace's time stamps;
# "-" without strace); with AUTOTUNE_OLD=PROGRAM the same for that
# program (the code before), the ratios, and a check that both merged
# files are byte for byte the same. The growth from 10,000 to 100,000
# entries tells the order: about 12 for n log n, 100 for n^2.
# The code before, built beside this tree:
#   git archive REV | tar -x -C /tmp/old && cd /tmp/old &&
#   autoreconf -fi && ./configure && make -j2
# Without AUTOTUNE_OLD it takes a minute or two. The quadratic merge of
# before took 23 CPU minutes a merge at 100,000 entries (2 CPUs):
# BENCH_BEFORE_ROUNDS=K runs it in the first K rounds only.
# Usage: tests/bench/bench-merge.sh [ROUNDS]   (from the build tree)
#   BENCH_SIZES="10000 20000 100000" the entry counts
set -u
AUTOTUNE=${AUTOTUNE:-./tuner/autotune}
OLD=${AUTOTUNE_OLD:-}
ROUNDS=${1:-3}
BEFORE_ROUNDS=${BENCH_BEFORE_ROUNDS:-$ROUNDS}
SIZES=${BENCH_SIZES:-10000 20000 100000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" # hermetic: never the user's profile

median() { sort -g | awk '{v[NR]=$1} END {print !NR ? "-" : (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
calc() { awk "BEGIN { print $1 }"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1f\n", a / b }'; }

# A profile of this machine (`autotune fingerprint`) with one workload:
# entries of keys [FIRST, FIRST + N) (key k: size k/2 + 1, items 16 or
# 32) and samples of keys [FIRST/10, (FIRST + N)/10), days by key and SEED.
profile() { # first n seed
    "$AUTOTUNE" fingerprint | grep -v '^#'
    awk -v first="$1" -v n="$2" -v seed="$3" 'BEGIN {
        print "  workloads:\n    svd:\n      kind: batch\n      entries:"
        for (k = first; k < first + n; k++)
            printf "      - {size: %d, items: %d, seconds: %d.%d, spread: 0.03, measured: 2026-02-%02dT12:00:00Z, best: {workers: 2, mode: process, blas_threads: 1, chunk_size: 1, partitions: 1, transport: shm, pin: cores}, baselines: {serial_default: 1, serial_1: 2}}\n", int(k / 2) + 1, k % 2 ? 32 : 16, k, seed, 1 + (k * (seed + 3) + seed) % 28
        print "      samples:"
        for (t = int(first / 10); t < int((first + n) / 10); t++)
            printf "      - {size: %d, items: 16, seconds: %d.%d, spread: 0.01, config: {workers: %d, mode: process, blas_threads: %d, chunk_size: 1, partitions: 1, transport: shm, pin: none}}\n", 100 + int(t / 4), t, seed, 1 + t % 2, 1 + int(t / 2) % 2
    }'
}

# strace, if it is here and may trace: the lock's time comes from it.
tracer=
if command -v strace > /dev/null 2>&1 &&
    strace -f -o /dev/null true > /dev/null 2>&1; then
    tracer=strace
fi

# One merge by PROGRAM of size N into a fresh copy of OUT; appends its
# wall time to $tmp/wall-WHO-N, its CPU time (user + system, which a busy
# machine inflates less) to cpu-WHO-N and the lock's time to lock-WHO-N.
merge_once() { # who program n
    cp "$tmp/out0-$3.yaml" "$tmp/out-$1.yaml"
    rm -f "$tmp/out-$1.yaml.lock"
    t0=$(date +%s.%N)
    (
        set -- "$2" merge "$tmp/a-$3.yaml" "$tmp/b-$3.yaml" -o "$tmp/out-$1.yaml"
        if [ -n "$tracer" ]; then
            strace -f -ttt -e trace=flock,close -o "$tmp/trace" "$@"
        else
            "$@"
        fi > "$tmp/log" 2>&1 || { echo "merge failed: $1"; cat "$tmp/log"; exit 1; }
        times > "$tmp/times"
    ) || exit 1
    t1=$(date +%s.%N)
    calc "$t1 - $t0" >> "$tmp/wall-$1-$3"
    # the children's line of `times`: "XmY.YYYs XmY.YYYs" (user, system)
    sed -n 2p "$tmp/times" | tr 'ms' '  ' |
        awk '{ printf "%.3f\n", $1 * 60 + $2 + $3 * 60 + $4 }' >> "$tmp/cpu-$1-$3"
    # the lock: from flock(FD, LOCK_EX) = 0 to the close(FD) after it
    if [ -n "$tracer" ]; then
        awk '!t0 && /flock\([0-9]+, LOCK_EX\) = 0/ {
                 fd = $3; sub(/^flock\(/, "", fd); sub(/,$/, "", fd); t0 = $2; next }
             t0 && index($3, "close(" fd ")") == 1 { printf "%.4f\n", $2 - t0; exit }' \
            "$tmp/trace" >> "$tmp/lock-$1-$3"
    fi
}

echo "== inputs: A, B and OUT of N entries and N/10 samples each"
for n in $SIZES; do
    profile 0 "$n" 0 > "$tmp/a-$n.yaml"
    profile $((n / 2)) "$n" 1 > "$tmp/b-$n.yaml"
    profile $((n / 4)) "$n" 2 > "$tmp/out0-$n.yaml"
    "$AUTOTUNE" validate "$tmp/a-$n.yaml" "$tmp/b-$n.yaml" "$tmp/out0-$n.yaml" > /dev/null ||
        { echo "generated profiles do not validate"; exit 1; }
    echo "N = $n: $(wc -c < "$tmp/a-$n.yaml") bytes a profile"
done
[ -n "$tracer" ] || echo "(no usable strace: the lock's time is not measured)"
echo

who="after"; [ -n "$OLD" ] && who="before after"
for round in $(seq "$ROUNDS"); do
    for n in $SIZES; do
        these=after
        [ -n "$OLD" ] && [ "$round" -le "$BEFORE_ROUNDS" ] && these="before after"
        for w in $these; do
            prog=$AUTOTUNE; [ "$w" = before ] && prog=$OLD
            merge_once "$w" "$prog" "$n"
        done
        if [ "$these" != after ] && ! cmp -s "$tmp/out-before.yaml" "$tmp/out-after.yaml"; then
            echo "N = $n: the merged files differ between before and after"
            diff "$tmp/out-before.yaml" "$tmp/out-after.yaml" | head
            exit 1
        fi
    done
done

# The median of a figure (wall, cpu or lock) of WHO at N, "-" if none.
fig() { # what who n
    if [ -f "$tmp/$1-$2-$3" ]; then grep -v '^-' "$tmp/$1-$2-$3" | median; else echo -; fi
}

echo "== autotune merge A B -o OUT, $ROUNDS interleaved rounds, medians (seconds)"
[ -n "$OLD" ] && [ "$BEFORE_ROUNDS" -lt "$ROUNDS" ] &&
    echo "(before: in the first $BEFORE_ROUNDS rounds only)"
printf '%8s %7s %10s %10s %7s\n' entries figure before after ratio
for n in $SIZES; do
    for f in wall cpu lock; do
        printf '%8s %7s %10s %10s %7s\n' "$n" "$f" "$(fig "$f" before "$n")" \
            "$(fig "$f" after "$n")" \
            "$(ratio "$(fig "$f" before "$n")" "$(fig "$f" after "$n")")"
    done
done
[ -n "$OLD" ] && echo "(the merged files of before and after are the same, byte for byte)"
first=${SIZES%% *}; last=${SIZES##* }
[ "$first" = "$last" ] && exit 0
for w in $who; do
    printf 'growth %s, %s to %s entries: wall x%s, cpu x%s, lock x%s (n log n: x%.1f, n^2: x%.0f)\n' \
        "$w" "$first" "$last" \
        "$(ratio "$(fig wall "$w" "$last")" "$(fig wall "$w" "$first")")" \
        "$(ratio "$(fig cpu "$w" "$last")" "$(fig cpu "$w" "$first")")" \
        "$(ratio "$(fig lock "$w" "$last")" "$(fig lock "$w" "$first")")" \
        "$(calc "$last * log($last) / ($first * log($first))")" \
        "$(calc "($last / $first) ^ 2")"
done
