#!/bin/sh
# Faults seen from outside, as a user meets them: a worker killed with
# SIGKILL mid-job, a task past its deadline, SIGINT and SIGTERM to the
# parent. Each must end with a clear message, leave no worker process
# behind and nothing in /dev/shm.
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
tap_done
