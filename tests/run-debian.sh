#!/bin/sh
# debian/ agrees with the tree it packages, checked on every make check
# (building the packages takes minutes; CI does that in .ci/run): the
# changelog's upstream version is configure.ac's release; every Debian
# package configure.ac requires (AT_REQUIRE_PKG) is a build dependency and
# in build-aux/install-deps; the library package is named for the soname
# the build produces (libautotune.so.1: libautotune1); and the symbols
# file lists exactly the symbols the built library exports, so a function
# added to or removed from the ABI cannot pass unrecorded.
. "$SRCDIR/tests/tap.sh"
deb="$SRCDIR/debian"
lib="$BUILDDIR/src/.libs/libautotune.so"
[ -e "$lib" ] || tap_skip_all "no shared library built (--disable-shared)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$BUILDDIR/config.h")
changelog=$(sed -n '1s/^autotune (\([^)]*\)-[^-)]*).*/\1/p' "$deb/changelog")
if [ "$changelog" = "$version" ]; then tap_ok "debian/changelog is of release $version"
else tap_not_ok "debian/changelog is of release $version" "it says '$changelog'"; fi

# Build-Depends, one package name a line.
sed -n '/^Build-Depends:/,/^[A-Z]/p' "$deb/control" | sed '1s/^Build-Depends://' |
    tr ',' '\n' | sed -n 's/^[[:space:]]*\([a-z0-9][a-z0-9.+-]*\).*/\1/p' \
    > "$tmp/build-depends"
for pkg in $(sed -n 's/^AT_REQUIRE_PKG(\[[^]]*\], *\[[^]]*\], *\[\([^]]*\)\]).*/\1/p' \
               "$SRCDIR/configure.ac"); do
    if grep -qx "$pkg" "$tmp/build-depends" &&
       grep -qw -- "$pkg" "$SRCDIR/build-aux/install-deps"; then
        tap_ok "$pkg (configure.ac) is in Build-Depends and install-deps"
    else
        tap_not_ok "$pkg (configure.ac) is in debian/control's Build-Depends and build-aux/install-deps"
    fi
done

soname=$(objdump -p "$lib" | sed -n 's/^ *SONAME *//p')
package=$(echo "$soname" | sed 's/\.so\.\([0-9]*\)$/\1/')
if grep -qx "Package: $package" "$deb/control" &&
   [ -f "$deb/$package.symbols" ] &&
   head -1 "$deb/$package.symbols" | grep -q "^$soname $package "; then
    tap_ok "soname $soname is packaged as $package"
else
    tap_not_ok "soname $soname is packaged as $package" \
        "debian/control and debian/$package.symbols must name it"
fi

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
    sort > "$tmp/exported"
sed -n 's/^ \([^@ ]*\)@Base .*/\1/p' "$deb/$package.symbols" 2>/dev/null |
    sort > "$tmp/listed"
if [ -s "$tmp/exported" ] && cmp -s "$tmp/exported" "$tmp/listed"; then
    tap_ok "debian/$package.symbols lists the $(wc -l < "$tmp/exported") exported symbols"
else
    tap_not_ok "debian/$package.symbols lists the exported symbols" \
        "$(diff "$tmp/listed" "$tmp/exported" | grep '^[<>]' |
           sed 's/^</only in the symbols file:/; s/^>/exported, not listed:/')"
fi
tap_done
