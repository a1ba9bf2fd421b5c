#!/bin/sh
# The manual pages: autotune(1) and libautotune(3) render without a groff
# warning and carry the release's version; libautotune(3)'s SYNOPSIS
# declares the functions as include/autotune.h does (its prototypes are
# compiled after the header: a conflicting one is an error), each function
# it declares is described, and its EXAMPLE is data/examples/tuned_job.c
# verbatim, which builds against the library.
. "$SRCDIR/tests/tap.sh"
command -v groff >/dev/null || tap_skip_all "no groff (Debian package groff-base)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
page="$SRCDIR/man/libautotune.3"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$BUILDDIR/config.h")

for man in "$SRCDIR/man/autotune.1" "$page"; do
    name=${man##*/}
    warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$man" 2>&1)
    if [ -z "$warnings" ]; then tap_ok "$name renders without warnings"
    else tap_not_ok "$name renders without warnings" "$warnings"; fi
    th=$(sed -n 's/^\.TH [^"]*"[^"]*" "\([^"]*\)".*/\1/p' "$man")
    if [ "$th" = "autotune $version" ]; then tap_ok "$name is of autotune $version"
    else tap_not_ok "$name is of autotune $version" "its .TH says '$th'"; fi
done

# The SYNOPSIS as C: the .B/.BI lines between .nf and .fi, quotes dropped.
sed -n '/^\.SH SYNOPSIS/,/^\.fi/p' "$page" | sed -n 's/^\.BI\{0,1\} //p' |
    sed 's/"//g; s/\\-/-/g' > "$tmp/synopsis.c"
functions=$(grep -c '(' "$tmp/synopsis.c")
printf 'int main(void) { return 0; }\n' >> "$tmp/synopsis.c"
if [ "$functions" -lt 20 ]; then
    tap_not_ok "SYNOPSIS declares the main entry points" "only $functions found"
elif ${CC:-cc} -std=c11 -Werror -fsyntax-only -I"$SRCDIR/include" \
     -I"$BUILDDIR/include" "$tmp/synopsis.c" 2>"$tmp/cc.log"; then
    tap_ok "SYNOPSIS declares $functions functions as autotune.h does"
else
    tap_not_ok "SYNOPSIS agrees with autotune.h" "$(head -20 "$tmp/cc.log")"
fi
undescribed=
for f in $(sed -n 's/^[a-z_ ]*[ *]\(at_[a-z_]*\)(.*/\1/p' "$tmp/synopsis.c"); do
    sed '1,/^\.SH DESCRIPTION/d' "$page" | grep -q "^\.[BR][BR]* .*$f ()" ||
        undescribed="$undescribed $f"
done
if [ -z "$undescribed" ]; then tap_ok "every function of the SYNOPSIS is described"
else tap_not_ok "every function of the SYNOPSIS is described" "not:$undescribed"; fi

# The EXAMPLE, roff escapes undone, is the example program.
sed -n '/^\.SH EXAMPLE/,/^\.EE/p' "$page" | sed '1,/^\.EX/d; $d' |
    sed 's/^\\&//; s/\\-/-/g; s/\\e/\\/g' > "$tmp/example.c"
if cmp -s "$tmp/example.c" "$SRCDIR/data/examples/tuned_job.c"; then
    tap_ok "EXAMPLE is data/examples/tuned_job.c"
else
    tap_not_ok "EXAMPLE is data/examples/tuned_job.c" \
        "$(diff "$SRCDIR/data/examples/tuned_job.c" "$tmp/example.c" | head -20)"
fi
# It builds as its first comment says (the build tree's library).
blas=$(pkg-config --cflags --libs openblas 2>/dev/null || echo -lopenblas)
# shellcheck disable=SC2086
if ${CC:-cc} -std=c11 -Werror -Wall -o "$tmp/example" "$tmp/example.c" \
     -I"$SRCDIR/include" -I"$BUILDDIR/include" -L"$BUILDDIR/src/.libs" \
     -lautotune $blas 2>"$tmp/cc.log"; then
    tap_ok "EXAMPLE compiles and links"
else
    tap_not_ok "EXAMPLE compiles and links" "$(head -20 "$tmp/cc.log")"
fi
tap_done
