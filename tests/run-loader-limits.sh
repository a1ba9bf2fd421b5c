#!/bin/sh
# What the profile loader refuses of a hostile file, on inputs too large to
# keep in tests/data: 100,000 levels of nesting (flow lists, flow mappings,
# block lists), refused with the exact message at the first level past the
# limit; and duplicates among 20,000 workloads or machines, reported at the
# first repeat in file order. Each prints how long it took, as a figure to
# read (figures are never asserted: the machine is shared). Then the
# environment of a set-user-ID program: the library must not let
# AUTOTUNE_PROFILE name its file nor AUTOTUNE_VERBOSE turn its messages on
# (secure_getenv), checked with a test program owned by `nobody` with the
# set-user-ID bit, run as root; skipped when not root or where the file
# system ignores the bit.
. "$SRCDIR/tests/tap.sh"
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp" # the set-user-ID program runs as nobody
trap 'rm -rf "$tmp"' EXIT

tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# name, file, the exact message wanted
expect_refused() {
    start=$(now)
    actual=$("$AUTOTUNE" validate "$2" 2>&1 >/dev/null)
    rc=$?
    took=$(since "$start")
    if [ "$rc" -eq 1 ] && [ "$actual" = "$3" ]; then
        tap_ok "$1 (refused in $took s)"
    else
        tap_not_ok "$1" "exit $rc (want 1)" "want: $3" "got:  $actual"
    fi
}

# --------------------------------------------------------------- nesting

deep=100000
awk -v n=$deep 'BEGIN { printf "autotune_profile: 2\nmachines: ";
    for (i = 0; i < n; i++) printf "["; for (i = 0; i < n; i++) printf "]";
    print "" }' >"$tmp/lists.yaml"
expect_refused "$deep levels of flow lists" "$tmp/lists.yaml" \
    "autotune: $tmp/lists.yaml:2:26: mappings and lists nested deeper than 16 levels: not a profile"

awk -v n=$deep 'BEGIN { printf "autotune_profile: 2\nmachines: ";
    for (i = 0; i < n; i++) printf "{a: "; printf "1";
    for (i = 0; i < n; i++) printf "}"; print "" }' >"$tmp/maps.yaml"
expect_refused "$deep levels of flow mappings" "$tmp/maps.yaml" \
    "autotune: $tmp/maps.yaml:2:71: mappings and lists nested deeper than 16 levels: not a profile"

awk -v n=$deep 'BEGIN { printf "autotune_profile: 2\nmachines:\n";
    for (i = 0; i < n; i++) printf "- "; print "x" }' >"$tmp/block.yaml"
expect_refused "$deep levels of block lists" "$tmp/block.yaml" \
    "autotune: $tmp/block.yaml:3:31: mappings and lists nested deeper than 16 levels: not a profile"

# ------------------------------------------------------------ duplicates

machine_head='autotune_profile: 2
machines:
- fingerprint: dea336c7b55e3339
  cpu: {model: AMD EPYC, arch: x86_64, usable_cpus: 2, cores: 2, sockets: 1, numa_nodes: 1, l1d_kb: 32, l2_kb: 1024, l3_kb: 32768}
  blas: {vendor: openblas, version: 0.3.21, corename: Cooperlake, threading: pthreads, max_threads: 64}
  workloads:'
# 20,000 distinct names, then w5 again (line 20,007) and w17 (20,008):
# the first repeat in the file is reported, not the first in name order
{ echo "$machine_head"
  awk 'BEGIN { for (i = 0; i < 20000; i++) print "    w" i ": {kind: batch}";
      print "    w5: {kind: vector}"; print "    w17: {kind: batch}" }'
} >"$tmp/workloads.yaml"
expect_refused "the first repeat among 20000 workloads" "$tmp/workloads.yaml" \
    "autotune: $tmp/workloads.yaml:20007:5: duplicate key 'w5' in workloads"

# 20,000 distinct machines, each with its own core count and the
# fingerprint the library computes for it, then the 3rd again.
cat >"$tmp/fp.c" <<'EOF'
#include "autotune.h"
#include <stdio.h>
#include <string.h>
int main(void)
{
    at_machine m;
    memset(&m, 0, sizeof m);
    strcpy(m.cpu_model, "CPU");
    strcpy(m.arch, "x86_64");
    m.usable_cpus = m.sockets = m.numa_nodes = 1;
    strcpy(m.blas_vendor, "none");
    strcpy(m.blas_version, "none");
    strcpy(m.blas_corename, "none");
    strcpy(m.blas_threading, "none");
    puts("autotune_profile: 2\nmachines:");
    for (int i = 0; i <= 20000; i++) {
        m.cores = i < 20000 ? i + 1 : 3;
        at_machine_fingerprint(&m);
        printf("- {fingerprint: %s, cpu: {model: CPU, arch: x86_64, "
               "usable_cpus: 1, cores: %d, sockets: 1, numa_nodes: 1}, "
               "blas: {vendor: none, version: none, corename: none, "
               "threading: none}}\n",
               m.fingerprint, m.cores);
    }
    return 0;
}
EOF
lib="$BUILDDIR/src/.libs"
if ${CC:-cc} -I"$SRCDIR/include" -I"$BUILDDIR/include" "$tmp/fp.c" \
       -o "$tmp/fp" -L"$lib" -lautotune -Wl,-rpath,"$lib" 2>"$tmp/cc.err" &&
   "$tmp/fp" >"$tmp/machines.yaml"; then
    fp=$(sed -n '5p' "$tmp/machines.yaml" | sed 's/.*fingerprint: \([0-9a-f]*\),.*/\1/')
    expect_refused "the first repeat among 20000 machines" \
        "$tmp/machines.yaml" \
        "autotune: $tmp/machines.yaml:20003:17: duplicate machine fingerprint '$fp'"
else
    tap_not_ok "the first repeat among 20000 machines" \
        "cannot build the generator:" "$(cat "$tmp/cc.err")"
fi

# ------------------------------------------- a set-user-ID program

# Prints who it runs as and what the library makes of its environment:
# whether it would talk, and which profile it would read.
cat >"$tmp/env.c" <<'EOF'
#include "autotune.h"
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    char path[4096];
    int found = at_profile_find(path, sizeof path, NULL) == AT_OK;
    printf("euid %d, verbose %d, profile %s\n", (int)geteuid(),
           at_verbose_enabled(), found ? path : "none");
    return 0;
}
EOF
name="a set-user-ID program ignores AUTOTUNE_PROFILE and AUTOTUNE_VERBOSE"
decoy="$tmp/decoy.yaml"
echo "autotune_profile: 2" >"$decoy"
run_env() { # the program, in an environment naming the decoy
    env -i AUTOTUNE_PROFILE="$decoy" AUTOTUNE_VERBOSE=1 HOME="$tmp" \
        XDG_CONFIG_HOME="$tmp" "$tmp/env" 2>"$tmp/env.err"
}
nobody=$(id -u nobody 2>/dev/null)
if [ "$(id -u)" -ne 0 ] || [ -z "$nobody" ]; then
    tap_skip "$name" "needs root and a user nobody to make the program set-user-ID"
elif ! ${CC:-cc} -I"$SRCDIR/include" -I"$BUILDDIR/include" "$tmp/env.c" \
         -o "$tmp/env" -L"$lib" -lautotune -Wl,-rpath,"$lib" \
         2>"$tmp/cc.err"; then
    tap_not_ok "$name" "cannot build the test program:" "$(cat "$tmp/cc.err")"
else
    # first as itself: the environment is honoured (else the test proves
    # nothing), and the library says where its profile came from
    plain=$(run_env)
    if [ "$plain" != "euid 0, verbose 1, profile $decoy" ] ||
       ! grep -q "AUTOTUNE_PROFILE" "$tmp/env.err"; then
        tap_not_ok "$name" "as root: $plain" "$(cat "$tmp/env.err")"
    else
        chown nobody "$tmp/env" && chmod u+s "$tmp/env"
        suid=$(run_env)
        case $suid in
        "euid 0,"*) tap_skip "$name" "the file system of $tmp ignores the set-user-ID bit (nosuid)" ;;
        "euid $nobody, verbose 0, profile $decoy") tap_not_ok "$name" "$suid" ;;
        "euid $nobody, verbose 0, profile "*)
            if [ -s "$tmp/env.err" ]; then
                tap_not_ok "$name" "it talked:" "$(cat "$tmp/env.err")"
            else
                tap_ok "$name ($suid)"
            fi ;;
        *) tap_not_ok "$name" "$suid" "$(cat "$tmp/env.err")" ;;
        esac
    fi
fi
tap_done
