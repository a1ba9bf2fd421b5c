#!/bin/sh
# --format json and yaml on every command that prints data (fingerprint,
# validate, show, query, env, run, calibrate): the JSON parses
# (python3 -m json.tool), and the YAML, read by a YAML 1.1 reader
# (PyYAML's safe_load: it takes 0.3.21-like versions, dates, yes/no for
# other types), is the same document as the JSON, value for value, for the
# commands whose output does not vary between runs; for run and calibrate,
# which measure, the same keys. Then the output discipline: every command
# whose standard output cannot be written (/dev/full) says so and exits 1;
# a closed pipe kills the program quietly with SIGPIPE, or with SIGPIPE
# ignored is a write error. Exact outputs are golden tests (tests/cli).
. "$SRCDIR/tests/tap.sh"
cd "$SRCDIR" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
python3 -c 'import yaml' 2>/dev/null ||
    tap_skip_all "needs PyYAML (Debian: python3-yaml)"
cluster=data/examples/cluster.yaml
model=data/examples/with-model.yaml
# the job commands answer for a machine of the example profile, with every
# source and a null spread among them
sed 's/spread: 0.03,/spread: null,/' data/examples/single-machine.yaml \
    > "$tmp/unknown-spread.yaml"
job="--profile $cluster --machine 806984564c3ce0c1 --workload svd --size 1000"

# compare json.txt yaml.txt [keys]: the YAML as the JSON (or, with `keys`,
# the same keys at every level); prints what differs
compare() {
    python3 - "$@" <<'EOF'
import json, sys, yaml
j = json.load(open(sys.argv[1]))
y = yaml.safe_load(open(sys.argv[2]))
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v]
    return None
if len(sys.argv) > 3:
    j, y = shape(j), shape(y)
if j != y:
    print("json:", j)
    print("yaml:", y)
    sys.exit(1)
EOF
}

# both NAME HOW STATUS COMMAND...: the command in json and in yaml, each
# exiting with STATUS; HOW "keys" compares only the keys
both() {
    name=$1 how=$2 status=$3; shift 3
    "$@" --format json > "$tmp/json.txt" 2> "$tmp/err"
    rc=$?
    if [ "$rc" -eq "$status" ] &&
       python3 -m json.tool "$tmp/json.txt" > /dev/null 2>> "$tmp/err"
    then tap_ok "$name: --format json parses"
    else tap_not_ok "$name: --format json parses (exit $rc)" \
        "$(cat "$tmp/err")" "$(head -c 300 "$tmp/json.txt")"; fi
    "$@" --format yaml > "$tmp/yaml.txt" 2> "$tmp/err"
    if out=$(compare "$tmp/json.txt" "$tmp/yaml.txt" $how 2>&1)
    then tap_ok "$name: --format yaml is the same document${how:+ (keys)}"
    else tap_not_ok "$name: --format yaml is the same document" "$out" \
        "$(cat "$tmp/err")"; fi
}

both fingerprint "" 0 "$AUTOTUNE" fingerprint
both "validate (valid and invalid files)" "" 1 "$AUTOTUNE" validate \
    "$cluster" tests/data/bad/workers-zero.yaml /nonexistent/p.yaml
both "show (a model, costs, samples)" "" 0 "$AUTOTUNE" show "$model"
both "show (a null spread)" "" 0 "$AUTOTUNE" show "$tmp/unknown-spread.yaml"
# shellcheck disable=SC2086
both "query (an entry)" "" 0 "$AUTOTUNE" query $job --items 64
# shellcheck disable=SC2086
both "query (the model)" "" 0 "$AUTOTUNE" query --profile "$model" \
    --machine dea336c7b55e3339 --workload svd --size 700 --items 16
both "query (the fallback rule, no profile)" "" 0 "$AUTOTUNE" query \
    --profile tests/data/good/empty-machines.yaml --workload svd --size 9
# shellcheck disable=SC2086
both env "" 0 "$AUTOTUNE" env $job --items 64
both run keys 0 "$AUTOTUNE" run --workload gemm --size 16 --items 4 \
    --repeat 1 --warmup 0
both calibrate keys 0 "$AUTOTUNE" calibrate

# The JSON's values, checked where a mistake would hide: numbers are
# numbers, an unknown spread null, never NaN.
"$AUTOTUNE" show --format json "$tmp/unknown-spread.yaml" > "$tmp/s.json"
if python3 - "$tmp/s.json" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
def refuse(name):
    raise ValueError(name)
d = json.loads(text, parse_constant=refuse)
inv = d["machines"][0]["workloads"]["inv"]["entries"][0]
assert inv["spread"] is None, inv
assert inv["seconds"] == 1.52 and inv["size"] == 1000, inv
assert inv["baselines"]["naive_pool"] is None, inv
EOF
then tap_ok "show json: an unknown spread and an unmeasured baseline are null"
else tap_not_ok "show json: null for unknown"; fi

# ------------------------------------------------------- write errors

# full NAME COMMAND...: stdout on /dev/full is an error, exit 1
full() {
    name=$1; shift
    "$@" > /dev/full 2> "$tmp/err"
    rc=$?
    if [ "$rc" -eq 1 ] &&
       [ "$(tail -1 "$tmp/err")" = "autotune: write error: No space left on device" ]
    then tap_ok "$name > /dev/full: the write error, exit 1"
    else tap_not_ok "$name > /dev/full (exit $rc)" "$(cat "$tmp/err")"; fi
}
full "--help" "$AUTOTUNE" --help
full "--version" "$AUTOTUNE" --version
full "query --help" "$AUTOTUNE" query --help
full fingerprint "$AUTOTUNE" fingerprint
full validate "$AUTOTUNE" validate "$cluster"
full show "$AUTOTUNE" show "$cluster"
full "show --format json" "$AUTOTUNE" show --format json "$cluster"
full "merge -o -" "$AUTOTUNE" merge "$cluster" -o -
# shellcheck disable=SC2086
full query "$AUTOTUNE" query $job
# shellcheck disable=SC2086
full env "$AUTOTUNE" env $job
# shellcheck disable=SC2086
full "env --format yaml" "$AUTOTUNE" env $job --format yaml
full run "$AUTOTUNE" run --workload gemm --size 16 --items 4 --repeat 1

# A command that failed keeps its own status; the write error is said too.
"$AUTOTUNE" validate "$cluster" tests/data/bad/workers-zero.yaml \
    > /dev/full 2> "$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "workers-zero.yaml:14:27" "$tmp/err" &&
   grep -q "^autotune: write error: No space left on device$" "$tmp/err"
then tap_ok "a failed validate > /dev/full: both messages, exit 1"
else tap_not_ok "failed validate > /dev/full (exit $rc)" "$(cat "$tmp/err")"; fi

# ------------------------------------------------------ a closed pipe

# A pipe whose reader is gone before the program writes: with SIGPIPE as
# the shell leaves it, the program dies of it and says nothing (`| head`);
# with SIGPIPE ignored, the write fails with EPIPE: a message and exit 1.
closed_pipe() { # ignore|default, then the command
    python3 - "$@" <<'EOF'
import os, signal, subprocess, sys
how, cmd = sys.argv[1], sys.argv[2:]
r, w = os.pipe()
os.close(r)
def ignore():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
p = subprocess.run(cmd, stdout=w, stderr=subprocess.PIPE,
                   preexec_fn=ignore if how == "ignore" else None)
print(p.returncode, p.stderr.decode().strip())
EOF
}
out=$(closed_pipe default "$AUTOTUNE" show "$cluster")
if [ "$out" = "-13 " ]
then tap_ok "show | (closed): killed by SIGPIPE, nothing said"
else tap_not_ok "show | (closed), SIGPIPE default" "$out"; fi
out=$(closed_pipe ignore "$AUTOTUNE" show "$cluster")
if [ "$out" = "1 autotune: write error: Broken pipe" ]
then tap_ok "show | (closed), SIGPIPE ignored: write error, exit 1"
else tap_not_ok "show | (closed), SIGPIPE ignored" "$out"; fi
tap_done
