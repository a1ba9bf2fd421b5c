#!/bin/sh
# The MPI campaign (mpirun ... autotune), on this one machine: Open MPI
# runs several ranks here (--oversubscribe; as root --allow-run-as-root).
# Hosts are emulated with AUTOTUNE_HOST; node types with usable CPU sets
# of different sizes (taskset), since the fingerprint counts usable CPUs.
# The jobs are tiny: these tests check the campaign, not the answers.
. "$SRCDIR/tests/tap.sh"
[ "$HAVE_MPI" = yes ] ||
    tap_skip_all "autotune was built without MPI (configure found no mpi-c; install libopenmpi-dev)"
[ -x "$MPIRUN" ] || tap_skip_all "no mpirun (install openmpi-bin)"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs for 2 node types"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# as root, the recovery mode (a lost rank does not end the job), no
# binding (a measuring rank must see its host's CPUs), quiet about
# oversubscribing this small machine
# a campaign that hangs fails its test instead of the suite: timeout
mpi="timeout -k 10 240 $MPIRUN --allow-run-as-root --oversubscribe --bind-to none --enable-recovery"
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
job="--workload gemm --size 32 --items 4 --budget 6"

# rank() HOST CPUS: one rank of the campaign, on an emulated host
rank() { echo "env AUTOTUNE_HOST=$1 taskset -c $2 $AUTOTUNE $job --output $tmp/$3.yaml"; }

fingerprints() { grep -c '^[ -]*fingerprint:' "$1"; }

# 1. three ranks, two node types: host a (2 CPUs); hosts b and c (1 CPU
# each), one type, which pool their finals
$mpi -np 1 $(rank a 0,1 three) : -np 1 $(rank b 0 three) : \
    -np 1 $(rank c 1 three) >"$tmp/three.out" 2>"$tmp/three.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(fingerprints "$tmp/three.yaml")" -eq 2 ] &&
   "$AUTOTUNE" validate "$tmp/three.yaml" >/dev/null; then
    tap_ok "3 ranks, 2 node types: one profile holding both"
else
    tap_not_ok "3 ranks, 2 node types: one profile holding both" "exit $rc" \
        "$(cat "$tmp/three.err" "$tmp/three.out")"
fi

# each type's answer is valid for a job on its own machine
ok=yes
for fp in $(sed -n 's/^[ -]*fingerprint: *//p' "$tmp/three.yaml"); do
    "$AUTOTUNE" query --profile "$tmp/three.yaml" --machine "$fp" \
        --workload gemm --size 32 --items 4 >"$tmp/q" 2>&1 &&
        grep -q '^source: *entry' "$tmp/q" || ok="no: $fp: $(cat "$tmp/q")"
done
[ "$ok" = yes ] && tap_ok "each node type's answer is tuned and valid" ||
    tap_not_ok "each node type's answer is tuned and valid" "$ok"

# hosts b and c share the work: both measured the union of their answers
# in pooled rounds, and the spread between them is reported; the spool
# holds each host's run and the type's pooled answer
b=$(sed -n 's/.*measures host b (type \([0-9a-f]*\).*/\1/p' "$tmp/three.err")
if grep -q 'pooled rounds on 2 hosts; host-to-host spread' "$tmp/three.out" &&
   [ -n "$b" ] && ls "$tmp/three.yaml.spool/$b"*-b.yaml >/dev/null &&
   ls "$tmp/three.yaml.spool/$b"*-c.yaml >/dev/null &&
   [ "$(ls "$tmp/three.yaml.spool/$b"*.yaml | wc -l)" -eq 3 ]; then
    tap_ok "2 hosts of one type pool their finals"
else
    tap_not_ok "2 hosts of one type pool their finals" "type '$b'" \
        "$(ls "$tmp/three.yaml.spool")" "$(cat "$tmp/three.out")"
fi

# progress: one line per node type on rank 0, never one per rank
if grep -q '^  type [0-9a-f]\{8\}  a: ' "$tmp/three.err" &&
   grep -q '^  type [0-9a-f]\{8\}  b: .*; c: ' "$tmp/three.err"; then
    tap_ok "progress is one line per node type"
else
    tap_not_ok "progress is one line per node type" "$(cat "$tmp/three.err")"
fi

# 2. two ranks on one host: only one measures
$mpi -np 2 $AUTOTUNE $job --output "$tmp/same.yaml" >"$tmp/same.out" \
    2>"$tmp/same.err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'rank 1 waits idle' "$tmp/same.err" &&
   [ "$(ls "$tmp/same.yaml.spool/"*.yaml | wc -l)" -eq 1 ] &&
   [ "$(fingerprints "$tmp/same.yaml")" -eq 1 ]; then
    tap_ok "2 ranks on one host: only one measures"
else
    tap_not_ok "2 ranks on one host: only one measures" "exit $rc" \
        "$(cat "$tmp/same.err" "$tmp/same.out")"
fi

# 3. a rank killed mid-campaign: the other type is saved, the lost one
# named, and the spool merges into a valid profile. The job is a command
# that takes a while, so that host b is killed in the middle of its search.
job="--command 'sleep 0.2; echo autotune-seconds: 0.01' --workload slow"
job="$job --size 1 --items 4 --budget 8"
$mpi -np 1 sh -c "$(rank a 0,1 kill)" : -np 1 sh -c \
    "$(rank b 0 kill) & p=\$!; sleep 3; kill -9 \$p; wait \$p" \
    >"$tmp/kill.out" 2>"$tmp/kill.err"
rc=$?
lost=$(grep 'measures host b' "$tmp/kill.err" | sed 's/.*type \([0-9a-f]*\).*/\1/')
# (under --enable-recovery, mpirun's exit status is 0 whatever the ranks
# return: the report is what says a type is missing)
if [ -n "$lost" ] &&
   grep -A2 "type $lost" "$tmp/kill.out" | grep -q 'MISSING' &&
   [ "$(fingerprints "$tmp/kill.yaml")" -eq 1 ] &&
   "$AUTOTUNE" merge "$tmp"/kill.yaml.spool/*.yaml -o "$tmp/recovered.yaml" &&
   "$AUTOTUNE" validate "$tmp/recovered.yaml" >/dev/null; then
    tap_ok "a killed rank: its node type is named, the rest is saved"
else
    tap_not_ok "a killed rank: its node type is named, the rest is saved" \
        "exit $rc, lost '$lost'" "$(cat "$tmp/kill.err" "$tmp/kill.out")"
fi
tap_done
