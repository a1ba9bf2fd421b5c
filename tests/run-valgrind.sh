#!/bin/sh
# Every malformed and good profile, and the query paths, under valgrind:
# no invalid access, no leak (the ASan build covers the unit tests).
. "$SRCDIR/tests/tap.sh"
command -v valgrind >/dev/null || tap_skip_all "valgrind not installed"
cd "$SRCDIR" || exit 1
vg="$BUILDDIR/libtool --mode=execute valgrind -q --error-exitcode=99 \
    --leak-check=full --errors-for-leak-kinds=definite,indirect"
run() { # name, then the autotune arguments; exit 99 means valgrind found errors
    name=$1; shift
    out=$($vg "$AUTOTUNE" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ne 99 ] && [ "$rc" -lt 128 ]; then tap_ok "valgrind: $name"
    else tap_not_ok "valgrind: $name (exit $rc)" "$out"; fi
}
run "validate every bad profile" validate tests/data/bad/*.yaml
run "validate every good profile" validate tests/data/good/*.yaml data/examples/*.yaml
run "query from a model" query --profile data/examples/with-model.yaml \
    --machine dea336c7b55e3339 --workload svd --size 1500
run "query nearest" query --profile data/examples/cluster.yaml \
    --machine 806984564c3ce0c1 --workload gemm --size 1500
run "fingerprint" fingerprint
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run "merge" merge data/examples/cluster.yaml data/examples/with-model.yaml -o "$tmp/m.yaml"
tap_done
