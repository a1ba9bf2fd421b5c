#!/bin/sh
# Data-driven profile tests (tables of {input, expected}, as libyaml does):
# - every tests/data/bad/NAME.yaml makes `autotune validate` exit 1 with
#   exactly the one line in NAME.expected (file, line, column, message);
# - every good file and example validates, and `merge` (load, merge, save)
#   writes a file that validates and holds the same data.
. "$SRCDIR/tests/tap.sh"
cd "$SRCDIR/tests/data" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for input in bad/*.yaml; do
    expected=$(cat "${input%.yaml}.expected")
    actual=$("$AUTOTUNE" validate "$input" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$actual" = "$expected" ]; then
        tap_ok "$input"
    else
        tap_not_ok "$input" "exit $rc (want 1)" "want: $expected" \
            "got:  $actual"
    fi
done

for input in good/*.yaml ../../data/examples/*.yaml; do
    name=$(basename "$input")
    out="$tmp/$name"
    if "$AUTOTUNE" validate "$input" >/dev/null 2>"$tmp/err" &&
       "$AUTOTUNE" merge "$input" -o "$out" 2>>"$tmp/err" &&
       "$AUTOTUNE" merge "$out" -o "$out.again" 2>>"$tmp/err" &&
       cmp -s "$out" "$out.again" &&
       [ "$("$AUTOTUNE" show "$input")" = "$("$AUTOTUNE" show "$out" |
             sed "s|^$out:|$input:|")" ]; then
        tap_ok "$input round-trips"
    else
        tap_not_ok "$input round-trips" "$(cat "$tmp/err")"
    fi
done
tap_done
