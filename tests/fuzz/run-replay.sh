#!/bin/sh
# The fuzz target (tests/fuzz/fuzz_profile.c) over its regressions and
# seed corpus, once each, built with the normal compiler
# (tests/fuzz/replay.c): one TAP line per input, a broken promise or a
# crash naming the input and quoting what the target said.
. "$SRCDIR/tests/tap.sh"
cd "$SRCDIR" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for input in tests/fuzz/regressions/* tests/fuzz/seeds/* \
    tests/data/good/*.yaml tests/data/bad/*.yaml data/examples/*.yaml; do
    [ -f "$input" ] || continue
    if "$BUILDDIR/tests/fuzz/replay" "$input" 2>"$tmp/err"; then
        tap_ok "$input"
    else
        tap_not_ok "$input" "exit $?" "$(tail -20 "$tmp/err")"
    fi
done
tap_done
