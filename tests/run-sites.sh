#!/bin/sh
# The search path through the program (data/profile-format.md, "Where
# profiles are found"): a site directory of one file per cluster
# (AUTOTUNE_PROFILE_DIR) read as one profile, under the user's profile
# (XDG_CONFIG_HOME), both in a scratch directory; `query` names the file
# that answered, verbose mode the files read, and a malformed cluster file
# is refused with its position. --machine picks the node type, so no
# particular hardware is needed. The configured system file is outside the
# scratch directory: the test stops if this machine has one.
. "$SRCDIR/tests/tap.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
unset AUTOTUNE_PROFILE AUTOTUNE_VERBOSE
export XDG_CONFIG_HOME="$tmp/cfg" AUTOTUNE_PROFILE_DIR="$tmp/site"
mkdir -p cfg/autotune site

# Two node types of data/examples/cluster.yaml, one file per cluster.
fp1=806984564c3ce0c1 fp2=c22c0e65e3c2bd2d
machine() { # FINGERPRINT: its lines of cluster.yaml, to its workloads
    awk -v fp="$1" '/^- fingerprint:/ { on = ($3 == fp) } on' \
        "$SRCDIR/data/examples/cluster.yaml"
}
{ echo "autotune_profile: 2"; echo "machines:"; machine $fp1; } > site/a-intel.yaml
{ echo "autotune_profile: 2"; echo "machines:"; machine $fp2; } > site/b-amd.yaml
mkdir site/old.yaml
echo "not a profile" > site/README

q() { "$AUTOTUNE" query "$@" 2>&1; }
field() { sed -n "s/^$1: *//p"; }

# the configured system file, as the build compiled it in
sys=$(cd "$BUILDDIR" &&
      printf 'print-system-profile:\n\t@echo $(AT_SYSTEM_PROFILE_PATH)\n' |
      env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s \
          --no-print-directory -f Makefile -f - print-system-profile)
[ -n "$sys" ] || { tap_not_ok "the configured system profile" "$sys"; tap_done; exit; }
[ -e "$sys" ] && tap_skip_all "this machine has a system profile, $sys"

out=$(AUTOTUNE_PROFILE_DIR="$tmp/cfg" q --workload svd --size 10)
case "$out" in
*"profile:       (none)"*"source:        fallback"*) tap_ok "nothing found: the fallback rule" ;;
*) tap_not_ok "nothing found: the fallback rule" "$out" ;;
esac

# The two clusters' files answer for their node types.
a=$(q --machine $fp1 --workload svd --size 1000 --items 64)
b=$(q --machine $fp2 --workload exp --size 100000000)
if [ "$(echo "$a" | field profile)" = "$tmp/site/a-intel.yaml" ] &&
   [ "$(echo "$a" | field workers)" = 4 ] &&
   [ "$(echo "$b" | field profile)" = "$tmp/site/b-amd.yaml" ] &&
   [ "$(echo "$b" | field workers)" = 64 ]; then
    tap_ok "each cluster's file answers for its node type, and is named"
else
    tap_not_ok "each cluster's file answers for its node type" "$a" "$b"
fi

# The site directory is the profile `autotune merge` makes of its files.
"$AUTOTUNE" merge site/a-intel.yaml site/b-amd.yaml -o merged.yaml
same=yes
for job in "$fp1 svd 1000 64" "$fp1 gemm 2000 100" "$fp2 exp 100000000 1" \
           "$fp2 svd 500 16"; do
    set -- $job
    from_dir=$(q --machine $1 --workload $2 --size $3 --items $4 | grep -v '^profile:')
    merged=$(q --profile merged.yaml --machine $1 --workload $2 --size $3 --items $4 |
             grep -v '^profile:')
    [ "$from_dir" = "$merged" ] || same="$job: $from_dir / $merged"
done
if [ "$same" = yes ]; then tap_ok "the site directory answers as its merge"
else tap_not_ok "the site directory answers as its merge" "$same"; fi

# The user tuned svd on the Intel node: the user's svd, the site's gemm.
{ echo "autotune_profile: 2"; echo "machines:"; machine $fp1 |
  sed '/^    gemm:/,$d; s/workers: 4, mode: process, blas_threads: 2/workers: 8, mode: process, blas_threads: 1/'
} > cfg/autotune/profile.yaml
user="$tmp/cfg/autotune/profile.yaml"
s=$(q --machine $fp1 --workload svd --size 1000 --items 64)
g=$(q --machine $fp1 --workload gemm --size 2000 --items 100)
if [ "$(echo "$s" | field profile)" = "$user" ] &&
   [ "$(echo "$s" | field workers)" = 8 ] &&
   [ "$(echo "$g" | field profile)" = "$tmp/site/a-intel.yaml" ]; then
    tap_ok "the user's svd wins, the site's gemm still answers"
else
    tap_not_ok "the user's svd wins, the site's gemm still answers" "$s" "$g"
fi

out=$(q --machine $fp2 --workload inv --size 500 | field profile)
want="none of $user, $tmp/site/a-intel.yaml, $tmp/site/b-amd.yaml"
if [ "$out" = "$want" ]; then tap_ok "the fallback rule names the files read"
else tap_not_ok "the fallback rule names the files read" "got:  $out" "want: $want"; fi

out=$(AUTOTUNE_PROFILE="$SRCDIR/data/examples/single-machine.yaml" \
      q --machine $fp1 --workload svd --size 1000 --items 64)
case "$out" in
*"autotune: --machine: no machine with fingerprint '$fp1' in $SRCDIR/data/examples/single-machine.yaml"*)
    tap_ok "AUTOTUNE_PROFILE is read alone" ;;
*) tap_not_ok "AUTOTUNE_PROFILE is read alone" "$out" ;;
esac

# Verbose: what was looked for, read, passed over and shadowed; env's
# output stays export lines, and says on stderr which file answered.
err=$(AUTOTUNE_VERBOSE=1 "$AUTOTUNE" env --machine $fp1 --workload svd \
      --size 1000 --items 64 2>&1 >env.out)
want="autotune: profile search: user profile $user
autotune: profile search: system profile $sys: No such file or directory
autotune: profile search: $tmp/site/README skipped: not named *.yaml
autotune: profile search: $tmp/site/old.yaml skipped: not a regular file
autotune: profile search: site directory $tmp/site: 2 *.yaml files
autotune: profile: read $user
autotune: profile: read $tmp/site/a-intel.yaml
autotune: profile: read $tmp/site/b-amd.yaml
autotune: profile: workload 'svd' of machine $fp1: $user wins over $tmp/site/a-intel.yaml"
got=$(echo "$err" | grep 'autotune: profile')
printf '%s\n' "$got" > got.txt
if [ "$got" = "$want" ] &&
   echo "$err" | grep -qx "autotune: answered from $user" &&
   ! grep -v '^export ' env.out >/dev/null &&
   grep -qx 'export AUTOTUNE_WORKERS=8' env.out; then
    tap_ok "verbose mode names the files read and the one that answered"
else
    tap_not_ok "verbose mode names the files" \
        "$(printf '%s\n' "$want" | diff - got.txt)" "$err" "$(cat env.out)"
fi

# A malformed cluster file is refused, at its position, by every command.
printf 'autotune_profile: 2\nmachines:\n- fingerprint: 12\n' > site/c-bad.yaml
for cmd in query env; do
    out=$("$AUTOTUNE" $cmd --machine $fp1 --workload svd --size 1000 2>&1; echo "[exit $?]")
    want="autotune: $tmp/site/c-bad.yaml:3:3: missing key 'cpu' in machine
[exit 1]"
    if [ "$out" = "$want" ]; then tap_ok "$cmd refuses a malformed site file at its position"
    else tap_not_ok "$cmd refuses a malformed site file" "got:  $out" "want: $want"; fi
done
rm site/c-bad.yaml

out=$(AUTOTUNE_PROFILE_DIR="$tmp/nowhere" q --workload svd --size 10; echo "[exit $?]")
want="autotune: $tmp/nowhere: AUTOTUNE_PROFILE_DIR names a directory that cannot be read: No such file or directory
[exit 1]"
if [ "$out" = "$want" ]; then tap_ok "AUTOTUNE_PROFILE_DIR must name a directory"
else tap_not_ok "AUTOTUNE_PROFILE_DIR must name a directory" "got:  $out" "want: $want"; fi
tap_done
