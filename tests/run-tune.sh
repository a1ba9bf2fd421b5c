#!/bin/sh
# The tuner end to end on small jobs: each strategy writes a valid profile
# whose entry, model and samples the library then uses; several sizes fit
# the exponent; one CPU under taskset; Ctrl-C keeps the measurements and
# --resume finishes without measuring them again; quiet off a terminal;
# AUTOTUNE_VERBOSE adds the model's check.
. "$SRCDIR/tests/tap.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config"

ok_if() { # name, then a command that must succeed
    name=$1; shift
    if "$@" >"$tmp/check" 2>&1; then tap_ok "$name"
    else tap_not_ok "$name" "$(cat "$tmp/check")" "$(cat "$tmp/err" 2>/dev/null)"; fi
}
source_of() { # profile workload size items
    "$AUTOTUNE" query --profile "$1" --workload "$2" --size "$3" --items "$4" |
        sed -n 's/^source: *//p'
}

p="$tmp/model.yaml"
"$AUTOTUNE" --workload gemm --size 48 --items 8 --budget 10 --output "$p" \
    >"$tmp/out" 2>"$tmp/err"
ok_if "model strategy exits 0, quiet off a terminal" \
    sh -c "[ $? -eq 0 ] && [ ! -s '$tmp/err' ]"
ok_if "the profile validates" "$AUTOTUNE" validate "$p"
ok_if "it has the model, an entry with baselines, and samples" \
    sh -c "grep -q 'form: comm-compute-1' '$p' && grep -q 'serial_default' '$p' && grep -q 'samples:' '$p'"
ok_if "the table shows the best against each baseline" \
    sh -c "grep -q '^  joblib_rule' '$tmp/out' && grep -q 'held-out error' '$tmp/out'"
ok_if "query answers the tuned job from the entry" \
    test "$(source_of "$p" gemm 48 8)" = entry
ok_if "query answers another size from the model" \
    test "$(source_of "$p" gemm 80 8)" = model

AUTOTUNE_VERBOSE=1 "$AUTOTUNE" --workload gemm --size 48 --items 8 --budget 10 \
    --output "$tmp/verbose.yaml" >"$tmp/out" 2>"$tmp/err"
held=$(sed -n 's/.*median over \([0-9]*\) samples.*/\1/p' "$tmp/out")
rows=$(sed -n '/^  held out /,/^profile:/p' "$tmp/out" | grep -c '%$')
ok_if "AUTOTUNE_VERBOSE shows the model's check, one row per held-out sample" \
    sh -c "[ -n '$held' ] && [ '$held' -gt 0 ] && [ '$rows' = '$held' ]"

p="$tmp/grid.yaml"
"$AUTOTUNE" --workload exp --size 20000 --strategy grid --budget 30 \
    --output "$p" >"$tmp/out" 2>"$tmp/err"
ok_if "grid measures the whole space" \
    sh -c "grep -E 'measured ([0-9]+) of the \\1 configurations' '$tmp/out'"

p="$tmp/random.yaml"
"$AUTOTUNE" --workload svd --size 24 --items 4 --strategy random \
    --budget 10 --output "$p" >"$tmp/out" 2>"$tmp/err"
ok_if "random measures about a quarter" \
    sh -c "grep -q 'measured' '$tmp/out' && '$AUTOTUNE' validate '$p'"

p="$tmp/sizes.yaml"
"$AUTOTUNE" --workload inv --sizes 24,48 --items 4 --budget 15 \
    --output "$p" >"$tmp/out" 2>"$tmp/err"
ok_if "--sizes writes an entry per size" \
    sh -c "grep -q 'size: 24, items: 4, seconds' '$p' && grep -q 'size: 48, items: 4, seconds' '$p'"

if command -v taskset >/dev/null; then
    p="$tmp/one.yaml"
    taskset -c 0 "$AUTOTUNE" --workload gemm --size 32 --items 4 \
        --budget 10 --output "$p" >"$tmp/out" 2>"$tmp/err"
    ok_if "taskset -c 0 tunes for one CPU" grep -q 'usable_cpus: 1,' "$p"
fi

p="$tmp/resume.yaml"
"$AUTOTUNE" --workload svd --size 200 --items 16 --strategy grid \
    --budget 120 --output "$p" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 3
kill -INT "$pid"
wait "$pid"; rc=$?
ok_if "Ctrl-C exits 130 and keeps the samples" \
    sh -c "[ $rc -eq 130 ] && grep -q 'interrupted; the' '$tmp/err' && '$AUTOTUNE' validate '$p' && grep -q 'samples:' '$p'"
kept=$(grep -c 'config: {' "$p")
"$AUTOTUNE" --workload svd --size 200 --items 16 --strategy grid \
    --budget 120 --output "$p" --resume >"$tmp/out" 2>"$tmp/err"
rc=$?
ok_if "--resume reuses the $kept samples and finishes" \
    sh -c "[ $rc -eq 0 ] && grep -q 'resuming with $kept samples' '$tmp/err' && grep -q 'size: 200, items: 16, seconds' '$p'"
tap_done
