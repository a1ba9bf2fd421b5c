#!/bin/sh
# Tuner benchmark: the figures of the tuner issue, measured in this run.
#   1. autotune --workload svd --size 1000 with the default budget (45 s),
#      its baselines scaled from the reduced job, in interleaved pairs with
#      --budget 300 (room for the baselines on the job): wall time (target
#      <= 45 s), the best's rounds (>= 3), and each scaled baseline over
#      the one measured on the job (the scaling's error, with the noise)
#   2. svd, inv, gemm 1000 x 16 and exp 10,000,000: the default strategy's
#      choice and grid's, re-measured head to head (interleaved rounds)
#      with the four baselines: model / grid (target <= 1.05), model /
#      best baseline (target <= 1.00); configurations measured by model
#      against grid (target <= 25%); the model's held-out error (<= 10%)
#   3. gemm tuned at sizes 500 and 1000: the query for 1500 against the
#      best grid measures at 1500, head to head (target <= 1.10)
#   4. taskset -c 0 autotune --workload svd --size 500: usable CPUs
# Takes about 25 minutes on 2 CPUs. Run alone: other load skews it.
# Usage: tests/bench/bench-tuner.sh [ROUNDS]   (from the build tree)
set -u
AUTOTUNE=${AUTOTUNE:-./tuner/autotune}
ROUNDS=${1:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config"
cpus=$("$AUTOTUNE" fingerprint | sed -n 's/.*usable_cpus: \([0-9]*\).*/\1/p')

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
calc() { awk "BEGIN { print $1 }"; }

# The knobs of `autotune query` as `autotune run` options (profile "":
# no profile, the fallback rule).
knobs() { # profile workload size items
    "$AUTOTUNE" query ${1:+--profile "$1"} --workload "$2" --size "$3" --items "$4" |
        awk '/^(workers|mode|blas_threads|chunk_size|partitions|transport|pin):/ {
                 k = $1; sub(":", "", k); gsub("_", "-", k); printf "--%s %s ", k, $2 }'
}

# The four baselines (as tuner/search.c defines them) as run options.
baselines() { # workload items
    if [ "$1" = exp ]; then p=$cpus; else p=1; fi
    nw=$cpus; [ "$1" != exp ] && [ "$2" -lt "$cpus" ] && nw=$2
    echo "serial_default:--workers 1 --blas-threads $cpus --pin none --partitions 1 --chunk-size 1"
    echo "serial_1:--workers 1 --blas-threads 1 --pin none --partitions 1 --chunk-size 1"
    echo "naive_pool:--workers $nw --mode process --blas-threads $cpus --transport pipe --pin none --partitions $p --chunk-size 1"
    echo "joblib_rule:$(knobs "" "$1" "$3" "$2") --pin none"
}

# Interleaved rounds of `autotune run` over "name:options" lines on
# stdin; prints "name median" lines. A job of milliseconds (exp) needs more
# runs per round than one of seconds to rise above the noise.
head_to_head() { # workload size items
    reps=3; [ "$1" = exp ] && reps=15
    cat > "$tmp/configs"
    rm -f "$tmp"/h2h-*
    for r in $(seq "$ROUNDS"); do
        while IFS=: read -r name opts; do
            # shellcheck disable=SC2086
            "$AUTOTUNE" run --workload "$1" --size "$2" --items "$3" \
                --repeat "$reps" --warmup 1 --format yaml $opts > "$tmp/run" 2>&1 ||
                { echo "run failed: $name $opts"; cat "$tmp/run"; exit 1; }
            sed -n 's/^median_s: //p' "$tmp/run" >> "$tmp/h2h-$name"
        done < "$tmp/configs"
    done
    while IFS=: read -r name opts; do
        echo "$name $(median < "$tmp/h2h-$name")"
    done < "$tmp/configs"
}

echo "== machine: $cpus usable CPUs"
echo
# One tuning run of the main job; prints "wall best_rounds scaled_items
# serial_default serial_1 naive_pool joblib_rule" (seconds; rounds of the
# fastest baseline last).
main_run() { # output, then options
    out=$1; shift
    t0=$(date +%s.%N)
    "$AUTOTUNE" --workload svd --size 1000 --output "$out" "$@" > "$out.out" 2>&1 ||
        { cat "$out.out"; exit 1; }
    t1=$(date +%s.%N)
    awk -v wall="$(calc "$t1 - $t0")" '
        $1 == "best" && NF == 4 { rounds = $4 }
        $1 ~ /^(serial_default|serial_1|naive_pool|joblib_rule)$/ { s[$1] = $2
            if ($4 > br) br = $4 }
        /^  baselines measured on / { scaled = $4 }
        END { printf "%.1f %d %d %s %s %s %s %d\n", wall, rounds, scaled + 0,
                  s["serial_default"], s["serial_1"], s["naive_pool"],
                  s["joblib_rule"], br }' "$out.out"
}

if [ -z "${BENCH_SKIP_MAIN:-}" ]; then
    echo "== 1. autotune --workload svd --size 1000: default budget against --budget 300 ($ROUNDS pairs)"
    printf '%-8s %6s %6s %6s %14s %9s %10s %11s %6s\n' budget wall rounds scaled \
        serial_default serial_1 naive_pool joblib_rule brounds
    for r in $(seq "$ROUNDS"); do
        main_run "$tmp/main-45-$r.yaml" > "$tmp/m45-$r"
        main_run "$tmp/main-300-$r.yaml" --budget 300 > "$tmp/m300-$r"
        for b in 45 300; do
            awk -v b="$b" '{ printf "%-8s %6.1f %6d %6d %14.3f %9.3f %10.3f %11.3f %6d\n",
                             b, $1, $2, $3, $4, $5, $6, $7, $8 }' "$tmp/m$b-$r"
        done
    done
    cat "$tmp"/m45-* > "$tmp/m45"
    cat "$tmp"/m300-* > "$tmp/m300"
    printf 'default budget: wall median %.1f s, max %.1f s, %d of %d within 45 s; best ran >= %d rounds\n' \
        "$(cut -d' ' -f1 "$tmp/m45" | median)" "$(cut -d' ' -f1 "$tmp/m45" | sort -g | tail -1)" \
        "$(awk '$1 <= 45' "$tmp/m45" | wc -l)" "$ROUNDS" "$(cut -d' ' -f2 "$tmp/m45" | sort -g | head -1)"
    printf -- '--budget 300: wall median %.1f s\n' "$(cut -d' ' -f1 "$tmp/m300" | median)"
    k=4
    for name in serial_default serial_1 naive_pool joblib_rule; do
        paste -d' ' "$tmp/m45" "$tmp/m300" |
            awk -v k="$k" '{ print $k / $(k + 8) }' | median > "$tmp/ratio"
        printf '  %-15s scaled / on the job: median %.3f\n' "$name" "$(cat "$tmp/ratio")"
        k=$((k + 1))
    done
    echo
fi
[ -n "${BENCH_MAIN_ONLY:-}" ] && exit 0 # BENCH_MAIN_ONLY=1: part 1 only

echo "== 2. default strategy against grid, re-measured head to head ($ROUNDS rounds)"
printf '%-6s %9s %9s %9s %11s %9s %9s %9s\n' job model grid base "model/grid" "/base" measured "held-out"
# BENCH_JOBS="exp 10000000 1" runs part 2 for some jobs only; BENCH_SKIP_MAIN=1
# skips part 1
echo "${BENCH_JOBS:-svd 1000 16,inv 1000 16,gemm 1000 16,exp 10000000 1}" |
    tr , '\n' > "$tmp/jobs"
while read -r w size items; do
    "$AUTOTUNE" --workload "$w" --size "$size" --items "$items" \
        --output "$tmp/m-$w.yaml" > "$tmp/m-$w.out" 2>&1 || { cat "$tmp/m-$w.out"; exit 1; }
    "$AUTOTUNE" --workload "$w" --size "$size" --items "$items" --strategy grid \
        --budget 100000 --output "$tmp/g-$w.yaml" > "$tmp/g-$w.out" 2>&1 || { cat "$tmp/g-$w.out"; exit 1; }
    { echo "model:$(knobs "$tmp/m-$w.yaml" "$w" "$size" "$items")"
      echo "grid:$(knobs "$tmp/g-$w.yaml" "$w" "$size" "$items")"
      baselines "$w" "$items" "$size"; } | head_to_head "$w" "$size" "$items" > "$tmp/h2h"
    m=$(awk '$1 == "model" {print $2}' "$tmp/h2h")
    g=$(awk '$1 == "grid" {print $2}' "$tmp/h2h")
    b=$(awk '$1 != "model" && $1 != "grid" {print $2}' "$tmp/h2h" | sort -g | head -1)
    mm=$(sed -n 's/.*measured \([0-9]*\) of the.*/\1/p' "$tmp/m-$w.out")
    gm=$(sed -n 's/.*measured \([0-9]*\) of the.*/\1/p' "$tmp/g-$w.out")
    err=$(sed -n 's/.*held-out error \([0-9.]*\)%.*/\1/p' "$tmp/m-$w.out")
    printf '%-6s %9.4f %9.4f %9.4f %10.3fx %8.3fx %4d/%-4d %8s%%\n' "$w" "$m" "$g" "$b" \
        "$(calc "$m / $g")" "$(calc "$m / $b")" "$mm" "$gm" "$err"
    sed 's/^/    /' "$tmp/h2h"
    echo "    model chose: $(sed -n 's/.*: best //p' "$tmp/m-$w.out")"
    echo "    grid chose:  $(sed -n 's/.*: best //p' "$tmp/g-$w.out")"
done < "$tmp/jobs"
echo

[ -n "${BENCH_QUICK:-}" ] && exit 0 # BENCH_QUICK=1: parts 1 and 2 only
echo "== 3. gemm tuned at 500 and 1000, queried at 1500"
"$AUTOTUNE" --workload gemm --sizes 500,1000 --items 16 --output "$tmp/sizes.yaml" \
    > "$tmp/sizes.out" 2>&1 || { cat "$tmp/sizes.out"; exit 1; }
grep 'held-out' "$tmp/sizes.out"
"$AUTOTUNE" query --profile "$tmp/sizes.yaml" --workload gemm --size 1500 --items 16 |
    grep -E '^(source|reason)'
"$AUTOTUNE" --workload gemm --size 1500 --items 16 --strategy grid --budget 100000 \
    --output "$tmp/g1500.yaml" > "$tmp/g1500.out" 2>&1 || { cat "$tmp/g1500.out"; exit 1; }
{ echo "query1500:$(knobs "$tmp/sizes.yaml" gemm 1500 16)"
  echo "grid1500:$(knobs "$tmp/g1500.yaml" gemm 1500 16)"; } |
    head_to_head gemm 1500 16 > "$tmp/h2h"
cat "$tmp/h2h"
q=$(awk '$1 == "query1500" {print $2}' "$tmp/h2h")
g=$(awk '$1 == "grid1500" {print $2}' "$tmp/h2h")
printf 'query at 1500 / best measured at 1500: %.3fx (target <= 1.10)\n\n' "$(calc "$q / $g")"

echo "== 4. taskset -c 0 autotune --workload svd --size 500"
if command -v taskset >/dev/null; then
    taskset -c 0 "$AUTOTUNE" --workload svd --size 500 --output "$tmp/one.yaml" \
        > "$tmp/one.out" 2>&1 || { cat "$tmp/one.out"; exit 1; }
    grep -o 'usable_cpus: [0-9]*' "$tmp/one.yaml"
    grep -A7 '^svd 500' "$tmp/one.out"
fi
