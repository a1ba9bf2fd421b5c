#!/bin/sh
# Faults seen from outside, as a user meets them: a worker killed with
# SIGKILL mid-job, a task past its deadline, SIGINT and SIGTERM to the
# parent. Each must end with a clear message, leave no worker process
# behind and nothing in /dev/shm. Low memory (ulimit -v) ends a run with
# worker processes with a clear error, not a hang; and a second SIGINT or
# SIGTERM ends the process at once, whatever it waits on.
. "$SRCDIR/tests/tap.sh"
command -v pgrep >/dev/null || tap_skip_all "pgrep not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
shm_before=$(ls /dev/shm 2>/dev/null | wc -l)

# A long batch of SVDs in 2 worker processes, in the background.
start_long_run() {
    "$AUTOTUNE" run --workload svd --size 500 --items 200 --workers 2 \
        --mode process --transport shm --repeat 1 --warmup 0 \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    workers=""
    for _ in $(seq 100); do # wait for both workers
        workers=$(pgrep -P "$pid" | tr '\n' ' ')
        [ "$(echo $workers | wc -w)" -ge 2 ] && break
        sleep 0.05
    done
    sleep 0.3 # well inside the job
}

none_alive() { # the given pids are gone
    for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done
    return 0
}

expect() { # name, exit code wanted, words in stderr
    name=$1 want=$2 words=$3
    if [ "$rc" -eq "$want" ] && grep -q "$words" "$tmp/err" &&
       none_alive $workers &&
       [ "$(ls /dev/shm 2>/dev/null | wc -l)" -eq "$shm_before" ]; then
        tap_ok "$name: $(cat "$tmp/err")"
    else
        tap_not_ok "$name (exit $rc, want $want)" "$(cat "$tmp/err")" \
            "workers: $workers" "$(ls /dev/shm)"
    fi
}

start_long_run
victim=${workers%% *}
kill -KILL "$victim"
wait "$pid"; rc=$?
expect "worker killed with SIGKILL" 1 \
    "worker [01] (pid $victim) was killed by signal 9 (Killed) while running item"

start_long_run
kill -INT "$pid"
wait "$pid"; rc=$?
expect "SIGINT to the parent" 130 "interrupted; workers stopped"

start_long_run
kill -TERM "$pid"
wait "$pid"; rc=$?
expect "SIGTERM to the parent" 130 "interrupted; workers stopped"

workers=""
"$AUTOTUNE" run --workload svd --size 300 --items 8 --workers 2 \
    --mode process --deadline 0.001 --repeat 1 --warmup 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
expect "task past its deadline" 1 "past the 0.001 s deadline; killed and replaced"

"$AUTOTUNE" run --workload svd --size 300 --items 8 --workers 2 \
    --mode thread --deadline 0.001 --repeat 1 --warmup 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
expect "thread task past its deadline" 1 "past the 0.001 s deadline; abandoned and replaced"

# Under a small address-space limit OpenBLAS cannot map the buffer each of
# its threads needs and retries for ever, in the threads it starts at load
# (two, whatever this machine has) as in the calling thread. A run with
# worker processes must not fork into that wait (fork waits for OpenBLAS's
# threads): a clear error within seconds, or success on a BLAS that fits;
# the timeout only catches a hang (exit 137).
limit=100000 # KiB, as in the report of the hang
svd="--workload svd --size 300 --items 8 --repeat 1 --warmup 0"
stuck="autotune: the BLAS threads of this process did not stop within 2 s,\
 so no worker can be forked (OpenBLAS retries a memory map it cannot get\
 for ever: is the address space limited, ulimit -v?)"
# (AddressSanitizer's shadow memory needs more address space than the
# limit: under it, these cases are skipped)
case "${AT_SANITIZERS:-}" in *address*) asan=yes ;; *) asan=no ;; esac
name="worker processes under ulimit -v $limit"
rc=0
[ $asan = yes ] ||
    (ulimit -v $limit && OPENBLAS_NUM_THREADS=2 exec timeout -s KILL 60 \
        "$AUTOTUNE" run $svd --workers 2 --mode process) >"$tmp/out" 2>"$tmp/err" ||
    rc=$?
if [ $asan = yes ]; then
    tap_ok "$name # SKIP under AddressSanitizer"
elif [ "$rc" -eq 1 ] && [ "$(cat "$tmp/err")" = "$stuck" ]; then
    tap_ok "$name: a clear error"
elif [ "$rc" -eq 0 ] && grep -q "^verified:  yes" "$tmp/out"; then
    tap_ok "$name: the BLAS fits, the run succeeds"
else
    tap_not_ok "$name (exit $rc; 137: still waiting at 60 s)" \
        "$(cat "$tmp/err")"
fi

# A second SIGINT or SIGTERM ends the process at once, whatever it waits
# on. The first only cancels (tune keeps what it measured, run stops its
# workers), so a process waiting where cancelling cannot reach outlives
# it; the second must end it, killed by that signal.
gone_within() { # pid, tenths of a second: 0 once it has ended
    n=0
    while kill -0 "$1" 2>/dev/null; do
        [ "$n" -ge "$2" ] && return 1
        sleep 0.1
        n=$((n + 1))
    done
    return 0
}

# To $pid, waiting so: name, first signal, second signal, exit code wanted,
# and what a first signal that ends it means (not_ok, or skip: the wait
# was not as the case meant).
two_signals() {
    kill -"$2" "$pid"
    if gone_within "$pid" 10; then
        wait "$pid"
        rc=$?
        if [ "$5" = skip ]; then tap_ok "$1 # SKIP not waiting (exit $rc)"
        else tap_not_ok "$1: the first signal ended it (exit $rc)" \
            "$(cat "$tmp/err")"; fi
        return
    fi
    kill -"$3" "$pid"
    gone_within "$pid" 20 || kill -KILL "$pid"
    wait "$pid"
    rc=$?
    if [ "$rc" -eq "$4" ]; then tap_ok "$1: ended, exit $rc"
    else tap_not_ok "$1: exit $rc, want $4 (137: still waiting)" \
        "$(cat "$tmp/err")"; fi
}

# tune, done measuring, waits to save for the lock of its output, which
# another process holds (flock(1) stands in for a merge).
lock_wait() { # first signal, second signal, exit code wanted
    out="$tmp/locked.yaml"
    rm -f "$out" "$out.lock"
    flock "$out.lock" sleep 60 &
    holder=$!
    "$AUTOTUNE" --workload gemm --size 32 --items 4 --budget 1 \
        --output "$out" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 300); do # until it waits for the lock (/proc/locks: ->)
        grep -q -- "-> FLOCK .* $pid " /proc/locks && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    two_signals "second SIG$2 (after SIG$1) while tune waits for a lock" \
        "$1" "$2" "$3" not_ok
    kill $(pgrep -P "$holder") "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
}
if command -v flock >/dev/null && [ -r /proc/locks ]; then
    lock_wait INT INT 130
    lock_wait INT TERM 143
else
    tap_ok "second signal while tune waits for a lock # SKIP no flock(1)"
fi

# run with one worker (the calling process) under the limit above waits
# inside the BLAS, for a buffer it will never map. It is given a second
# once it catches both signals (/proc/PID/status: SigCgt), to get there:
# a background job of a script starts with SIGINT ignored.
catches() { # pid: 0 once it has its handler for SIGINT and SIGTERM
    mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
    [ -n "$mask" ] && [ $((0x$mask & 0x4002)) -eq $((0x4002)) ]
}
blas_wait() { # signal, exit code wanted
    if [ $asan = yes ]; then
        tap_ok "second SIG$1 while run waits inside the BLAS # SKIP under AddressSanitizer"
        return
    fi
    (ulimit -v $limit && OPENBLAS_NUM_THREADS=2 exec "$AUTOTUNE" run $svd \
        --workers 1) >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    name="second SIG$1 while run waits inside the BLAS"
    for _ in $(seq 300); do
        catches "$pid" || ! kill -0 "$pid" 2>/dev/null && break
        sleep 0.1
    done
    if gone_within "$pid" 10; then
        wait "$pid"
        tap_ok "$name # SKIP the BLAS fits in $limit KiB (exit $?)"
    else
        two_signals "$name" "$1" "$1" "$2" skip
    fi
}
blas_wait INT 130
blas_wait TERM 143
tap_done
