#!/bin/sh
# Every workload in more than 20 configurations (workers, mode, BLAS
# threads, chunk size, partitions, transport, pinning), small sizes: each
# run must verify its results and equal the serial run's within the
# workload's stated tolerance (autotune run --check-serial).
. "$SRCDIR/tests/tap.sh"

check() { # workload size items, then run options
    w=$1 size=$2 items=$3; shift 3
    out=$("$AUTOTUNE" run --workload "$w" --size "$size" --items "$items" \
          --repeat 1 --warmup 0 --check-serial --format yaml "$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^verified: true$'; then
        tap_ok "$w $size x$items $*"
    else
        tap_not_ok "$w $size x$items $* (exit $rc)" "$out"
    fi
}

for w in inv svd gemm; do
    for workers in 1 2 3; do
        for mode in process thread; do
            for transport in pipe shm; do
                check "$w" 48 7 --workers "$workers" --mode "$mode" \
                    --transport "$transport" --chunk-size 2 --blas-threads 1
            done
        done
    done
    check "$w" 48 7 --workers 2 --chunk-size 7 --pin cores
    check "$w" 48 7 --workers 2 --chunk-size 3 --blas-threads 2 --pin none
    check "$w" 48 7 --workers 1 --blas-threads 2 --pin cores
    check "$w" 64 1 --workers 1
    check "$w" 5 9 --workers 2 --mode thread --chunk-size 4
    for chunk in 1 4; do
        check "$w" 48 7 --workers 2 --mode process --transport pipe --chunk-size "$chunk" --pin cores
        check "$w" 48 7 --workers 3 --mode thread --chunk-size "$chunk" --pin cores
    done
    check "$w" 48 7 --workers 4 --blas-threads 2 --chunk-size 1
done

for workers in 1 2 3; do
    for mode in process thread; do
        for transport in pipe shm; do
            check exp 100003 1 --workers "$workers" --mode "$mode" \
                --transport "$transport" --partitions 7 --chunk-size 2
        done
    done
done
for parts in 1 2 64 1000; do
    check exp 100003 1 --workers 2 --partitions "$parts" --chunk-size 1
done
check exp 100003 1 --workers 2 --partitions 64 --chunk-size 32 --pin cores
check exp 17 1 --workers 2 --partitions 17
check exp 100003 1 --workers 4 --mode thread --partitions 8 --pin cores
check exp 100003 1 --workers 3 --mode process --transport pipe --partitions 9 --chunk-size 3 --pin cores
check exp 1 1 --workers 1 --partitions 1
tap_done
