#!/bin/sh
# bench-python.sh - the Python examples tuned with `autotune --command`,
# then run head to head: each mode in interleaved rounds (A B C A B C, so
# a busy neighbour's drift falls on all alike), the median of each, and
# the ratios. Run from the build tree after `make`, on a quiet machine:
#   sh ../tests/bench/bench-python.sh            (about 5 minutes)
# ROUNDS (default 3), SVD_SIZE/SVD_ITEMS (600/8), EXP_SIZE (10000000).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILDDIR:-$PWD}
AUTOTUNE=${AUTOTUNE:-$build/tuner/autotune}
export AUTOTUNE_LIBRARY=${AUTOTUNE_LIBRARY:-$build/src/.libs/libautotune.so.1}
export PYTHONPATH="$src/python${PYTHONPATH:+:$PYTHONPATH}"
py=/usr/bin/python3
rounds=${ROUNDS:-3}
svd_size=${SVD_SIZE:-600} svd_items=${SVD_ITEMS:-8}
exp_size=${EXP_SIZE:-10000000}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# the tuner writes the user profile there, and the examples find it
export XDG_CONFIG_HOME="$tmp/config"
unset AUTOTUNE_PROFILE

# The seconds a run reports (its autotune-seconds line).
seconds() { "$@" | sed -n 's/^autotune-seconds: //p' | tail -1; }

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# head_to_head NAME CMD MODE... : rounds of every mode, then medians and
# ratios to the first mode.
head_to_head() {
    name=$1 cmd=$2; shift 2
    for r in $(seq "$rounds"); do
        for mode in "$@"; do
            seconds sh -c "$cmd $mode" >> "$tmp/$name.$mode" ||
                echo "bench: $name $mode failed" >&2
        done
    done
    first=$(median < "$tmp/$name.$1")
    for mode in "$@"; do
        m=$(median < "$tmp/$name.$mode")
        printf '  %-10s %9.4f s   %6.2fx the %s time\n' "$mode" "$m" \
            "$(echo "$m $first" | awk '{print $1 / $2}')" "$1"
    done
}

echo "== svd $svd_size x $svd_items: tune the Python program"
"$AUTOTUNE" --command "$py $src/python/examples/svd_batch.py {size} {items} tuned" \
    --workload mysvd --size "$svd_size" --items "$svd_items" --quiet |
    sed -n '1,9p;/^model/p;/^time/p'
echo "== svd head to head ($rounds interleaved rounds, medians)"
head_to_head svd "$py $src/python/examples/svd_batch.py $svd_size $svd_items" \
    tuned naive

echo "== exp $exp_size: tune the Python program"
"$AUTOTUNE" --command "$py $src/python/examples/exp_vector.py {size} tuned" \
    --workload myexp --kind vector --size "$exp_size" --quiet |
    sed -n '1,9p;/^model/p;/^time/p'
echo "== exp head to head ($rounds interleaved rounds, medians)"
head_to_head exp "$py $src/python/examples/exp_vector.py $exp_size" \
    tuned naive split64 joblib
"$AUTOTUNE" query --workload myexp --size "$exp_size" | sed -n '/^source/,/^pin/p'
