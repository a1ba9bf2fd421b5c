#!/bin/sh
# The tuner end to end on small jobs: each strategy writes a valid profile
# whose entry, model and samples the library then uses; several sizes fit
# the exponent; one CPU under taskset; Ctrl-C keeps the measurements and
# --resume finishes without measuring them again; quiet off a terminal;
# AUTOTUNE_VERBOSE adds the model's check. Then, with a synthetic program
# (--command) that can damage the output, interrupt the tuner at its Nth
# run, or claim long times in no time: an output that could not take the
# results is refused before anything is measured, a merge that fails at
# the end leaves the results in a rescue file it names, the count said to
# be kept is the count kept, --resume measures none of it again, and the
# finalists run three rounds however short the budget (and, on a machine
# that drifts, no more), a spread nobody measured being unknown (null,
# "?"), not 0; with no room for the baselines on the job, they run on the
# design's reduced one, scaled to the job, and the report and the profile
# say so (and with room, on the job).
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

"$AUTOTUNE" --workload gemm --size 48 --items 8 --budget 0.5 \
    --output "$tmp/short.yaml" >"$tmp/out" 2>"$tmp/err"
ok_if "a run over its budget says so, and why" \
    grep -qx 'over the 0.5 s budget: the design and three rounds of each finalist run whatever the budget (it bounds the rest)' "$tmp/out"

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
kept=$(grep -c 'config: {' "$p") # 0 if the machine is too busy for one
ok_if "Ctrl-C exits 130 and keeps the samples it says it keeps" \
    sh -c "[ $rc -eq 130 ] && grep -qx 'autotune: interrupted; $kept samples* of this run kept in $p (--resume continues)' '$tmp/err' && '$AUTOTUNE' validate '$p'"
"$AUTOTUNE" --workload svd --size 200 --items 16 --strategy grid \
    --budget 120 --output "$p" --resume >"$tmp/out" 2>"$tmp/err"
rc=$?
ok_if "--resume reuses the $kept samples and finishes" \
    sh -c "[ $rc -eq 0 ] && grep -q 'resuming with $kept samples' '$tmp/err' && grep -q 'size: 200, items: 16, seconds' '$p'"

# --- the output, checked first; the results, never lost without a word

refused() { # name, output, expected first line: exit 1, nothing measured
    "$AUTOTUNE" --workload gemm --size 48 --items 8 --budget 10 \
        --output "$2" --resume >"$tmp/out" 2>"$tmp/err"
    rc=$?
    printf '%s\n%s\n' "$3" "autotune: nothing measured: the results could not be saved in $2 (--output chooses another file)" >"$tmp/want"
    ok_if "$1" sh -c "[ $rc -eq 1 ] && [ ! -s '$tmp/out' ] && cmp '$tmp/want' '$tmp/err'"
}
p="$tmp/damaged.yaml"
printf 'autotune_profile: 2\nmachines: [\n' >"$p"
cp "$p" "$tmp/damaged.orig"
refused "a damaged output is refused before measuring, at its line" "$p" \
    "autotune: $p:3:1: did not find expected node content while parsing a flow node"
ok_if "... and left as it was" cmp "$p" "$tmp/damaged.orig"
: >"$tmp/empty.yaml"
refused "an empty output is refused before measuring" "$tmp/empty.yaml" \
    "autotune: $tmp/empty.yaml:1:1: the file is empty, not a profile"
refused "an output under a file is refused before measuring" \
    "$p/sub/p.yaml" "autotune: $p: not a directory"

# the synthetic program: its time from its configuration (SLOW: tens of
# "seconds" with a jitter, reported in no time; DRIFT: the machine slows
# down by that factor a run; FAST_NAIVE: the naive pool's configuration,
# 2 workers x 2 threads through pipes, is 5 times as fast, which the
# model cannot know from the design's points, none of which has both);
# it logs each run's job and configuration,
# damages $DAMAGE, and interrupts the tuner at run $STOP_AT
cat >"$tmp/job.sh" <<'SH'
#!/bin/sh
n=$(( $(cat "$RUNS.count" 2>/dev/null || echo 0) + 1 ))
echo $n >"$RUNS.count"
echo "$AUTOTUNE_ITEMS $AUTOTUNE_WORKERS $AUTOTUNE_MODE $AUTOTUNE_BLAS_THREADS $AUTOTUNE_CHUNK_SIZE $AUTOTUNE_TRANSPORT $AUTOTUNE_PIN" >>"$RUNS"
[ -n "$DAMAGE" ] && printf 'autotune_profile: [' >"$DAMAGE"
[ "$n" = "${STOP_AT:-0}" ] && kill -INT $PPID
fast=1
[ -n "$FAST_NAIVE" ] && [ "$AUTOTUNE_WORKERS $AUTOTUNE_BLAS_THREADS $AUTOTUNE_TRANSPORT" = "2 2 pipe" ] && fast=5
awk -v w="$AUTOTUNE_WORKERS" -v i="$AUTOTUNE_ITEMS" -v n="$n" -v slow="$SLOW" \
    -v drift="${DRIFT:-0}" -v fast="$fast" \
    'BEGIN { srand(n); t = i / w * (slow ? 10 * (1 + 0.05 * rand()) : 0.01)
             printf "autotune-seconds: %.6f\n", t * (1 + drift) ^ n / fast }'
SH
chmod +x "$tmp/job.sh"
tune_job() { # output, then more options; exec: the tuner is its parent
    out=$1; shift
    rm -f "$tmp/runs" "$tmp/runs.count"
    RUNS="$tmp/runs" "$AUTOTUNE" --command "exec '$tmp/job.sh'" \
        --workload job --size 10 --items 4 --budget 5 --output "$out" "$@" \
        >"$tmp/out" 2>"$tmp/err"
}
# The finals' runs: those after the design's rounds, which repeat its
# points in one order (the first run is its first point), the first run
# that breaks the pattern on. The jobs here take no time, so the design
# runs several rounds (each as cheap as they come).
finals_runs() { awk '{ l[NR] = $0 }
                     NR == 1 { first = $0 }
                     NR > 1 && !period && $0 == first { period = NR - 1 }
                     period && !start && NR > period && $0 != l[NR - period] { start = NR }
                     END { for (i = start; start && i <= NR; i++) print l[i] }' "$tmp/runs"; }
rescue_of() { sed -n 's/^autotune: measurements saved to \([^;]*\); merge later with autotune merge .*/\1/p' "$tmp/err"; }

p="$tmp/spoilt.yaml"
DAMAGE="$p" tune_job "$p"; rc=$?
r=$(rescue_of)
ok_if "a merge that fails at the end writes the results to a rescue file" \
    sh -c "[ $rc -eq 1 ] && [ -n '$r' ] && grep -qxF 'autotune: measurements saved to $r; merge later with autotune merge $r -o $p' '$tmp/err' && '$AUTOTUNE' validate '$r' && grep -q 'size: 10, items: 4, seconds' '$r'"
ok_if "... which the report names instead of the profile" \
    sh -c "tail -1 '$tmp/out' | grep -q '^profile: not written; the measurements are in $r ('"
ok_if "... and which merges" "$AUTOTUNE" merge "$r" -o "$tmp/merged.yaml"

p="$tmp/spoilt2.yaml"
DAMAGE="$p" STOP_AT=12 tune_job "$p"; rc=$?
r=$(rescue_of)
ok_if "Ctrl-C when the merge fails: the file is said to be unchanged" \
    sh -c "[ $rc -eq 130 ] && [ -n '$r' ] && tail -1 '$tmp/err' | grep -qxF 'autotune: interrupted; $p is unchanged (the measurements are in $r)' && ! grep -q 'kept in' '$tmp/err' && '$AUTOTUNE' validate '$r'"

# interrupted in the design's second round (runs 1-30 are its first: 21
# on the reduced jobs (1 item for a serial point, else 2), then 9 of the
# program's three on the full one)
p="$tmp/kept.yaml"
STOP_AT=40 tune_job "$p"; rc=$?
kept=$(grep -c 'config: {' "$p")
ok_if "Ctrl-C says how many samples it kept, and the file has them" \
    sh -c "[ $rc -eq 130 ] && tail -1 '$tmp/err' | grep -qxF 'autotune: interrupted; $kept samples of this run kept in $p (--resume continues)'"
tune_job "$p" --resume; rc=$?
ok_if "--resume measures none of the $kept kept samples again" \
    sh -c "[ $rc -eq 0 ] && grep -q 'resuming with $kept samples' '$tmp/err' && [ -s '$tmp/runs' ] && ! grep -q '^[12] ' '$tmp/runs'"
ok_if "jobs of milliseconds: the baselines ran on the job itself" \
    sh -c "grep -qx '4 1 process 1 1 shm none' '$tmp/runs' && ! grep -q baseline_items '$p' && ! grep -q 'scaled' '$tmp/out'"

# finals of jobs that report 20-40 s each against a 5 s budget
p="$tmp/rounds.yaml"
SLOW=1 tune_job "$p"; rc=$?
rounds=$(sed -n 's/^  best  *[0-9.]*  *[0-9.]*%  *\([0-9]*\)$/\1/p' "$tmp/out")
ok_if "the best ran at least three rounds, whatever the budget" \
    sh -c "[ $rc -eq 0 ] && [ '${rounds:-0}' -ge 3 ]"
finalists=$(finals_runs | sort -u | wc -l)
ok_if "... with the one lead the budget has rounds for, and the baselines" \
    test "$finalists" -le 5
spread=$(sed -n 's/.*items: 4, seconds: [^,]*, spread: \([^,]*\), measured:.*/\1/p' "$p")
ok_if "... and the profile's entry has their spread, a number above 0" \
    awk -v s="$spread" 'BEGIN { exit !(s ~ /^[0-9.e+-]+$/ && s + 0 > 0) }'
ok_if "a baseline that ran once has an unknown spread, in the table" \
    grep -qE '^  serial_1 +[0-9.]+ +[?] +1 ' "$tmp/out"
ok_if "no room for the baselines on the job: they ran on the design's, and the report says so" \
    sh -c "! grep -qx '4 1 process 1 1 shm none' '$tmp/runs' && grep -qx '  baselines measured on 2 items, scaled to 4 by the model (the budget had no room for them on the job)' '$tmp/out'"
ok_if "... and so does the profile's entry" \
    grep -q 'items: 4, seconds: .*, baseline_items: 2}$' "$p"
serial=$(sed -n 's/^  serial_1  *\([0-9.]*\) .*/\1/p' "$tmp/out")
ok_if "... scaled to the job: serial_1 takes the 40 s of 4 items, not the 20 s of 2" \
    awk -v s="$serial" 'BEGIN { exit !(s > 38 && s < 44) }'

# a scaled baseline that beats every lead by far (the model cannot know
# it) is measured on the job when the budget has room for its rounds
# (150 s: not for the baselines on the job, 220 s with the lead's rounds)
p="$tmp/confirm.yaml"
SLOW=1 FAST_NAIVE=1 tune_job "$p" --budget 150
ok_if "a baseline scaled far ahead of the leads is measured on the job, and wins there" \
    sh -c "grep -qx '4 2 process 2 1 pipe none' '$tmp/runs' && grep -q '^job 10, 4 items: best 2 processes x 2t, chunk 1, pipe\$' '$tmp/out' && grep -qE '^  naive_pool +[0-9.]+ +[0-9.]+% +[3-9] +1.00x\$' '$tmp/out'"
SLOW=1 FAST_NAIVE=1 tune_job "$p"
ok_if "... not when its rounds do not fit: the best is measured, the baseline an estimate" \
    sh -c "! grep -qx '4 2 process 2 1 pipe none' '$tmp/runs' && grep -qE '^  naive_pool +[0-9.]+ .* 0\.[0-9]+x\$' '$tmp/out' && grep -qx \"  a baseline's estimate is below the best's measured time: with room in --budget, the baselines run on the job\" '$tmp/out'"

# grid measures each configuration once when its one run takes seconds
SLOW=1 tune_job "$tmp/grid-slow.yaml" --strategy grid
ok_if "a configuration that ran once has an unknown spread in the profile" \
    grep -q 'items: 4, seconds: [0-9.e+-]*, spread: null, config: {workers: 1, mode: process, blas_threads: 1,' "$tmp/grid-slow.yaml"

# a machine slowing down 5% a run: the last of the first round falls
# behind and leaves the race; its time, stale beside the others' later
# ones, does not bring it back for rounds the budget has not got
p="$tmp/drift.yaml"
SLOW=1 DRIFT=0.05 tune_job "$p"; rc=$?
most=$(finals_runs | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
ok_if "on a drifting machine the finals still end after three rounds" \
    sh -c "[ $rc -eq 0 ] && [ '$most' = 3 ]"
tap_done
