#!/bin/sh
# The README's C example, built as a user would: the library installed
# (DESTDIR), `pkg-config --cflags --libs autotune`, and OpenBLAS. It loads a
# profile of this machine whose svd entry asks for 3 BLAS threads, queries,
# applies, and openblas_get_num_threads() must then be 3.
. "$SRCDIR/tests/tap.sh"
command -v pkg-config >/dev/null || tap_skip_all "no pkg-config"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The first ```c block of the README is the example.
sed -n '/^```c$/,/^```$/p' "$SRCDIR/README.md" | sed '1d;$d' > "$tmp/apply.c"
if [ -s "$tmp/apply.c" ]; then tap_ok "README has a C example"
else tap_not_ok "README has a C example"; tap_done; exit; fi

if ${MAKE:-make} -C "$BUILDDIR" install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1
then tap_ok "make install DESTDIR"
else tap_not_ok "make install DESTDIR" "$(tail -5 "$tmp/install.log")"; tap_done; exit; fi

pcdir=$(find "$tmp/root" -name autotune.pc -exec dirname {} \;)
libdir=$(dirname "$pcdir")
flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
        pkg-config --cflags --libs autotune)
if ${CC:-cc} -std=c11 -o "$tmp/apply" "$tmp/apply.c" $flags -lopenblas \
     2>"$tmp/cc.log"
then tap_ok "example builds with pkg-config --cflags --libs autotune"
else tap_not_ok "example builds" "$(cat "$tmp/cc.log")"; tap_done; exit; fi

# A profile of this machine (the fingerprint command prints one) with an
# svd entry that differs from every default: 3 BLAS threads.
"$AUTOTUNE" fingerprint > "$tmp/profile.yaml"
cat >> "$tmp/profile.yaml" <<'YAML'
  workloads:
    svd:
      kind: batch
      entries:
      - {size: 1000, items: 16, seconds: 1.0, spread: 0.01, measured: 2026-01-01T00:00:00Z, best: {workers: 1, mode: process, blas_threads: 3, chunk_size: 1, partitions: 1, transport: shm, pin: none}}
YAML
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/apply" "$tmp/profile.yaml" 2>&1)
case "$out" in
*"openblas_get_num_threads() = 3"*) tap_ok "applied: $(echo "$out" | tail -1)" ;;
*) tap_not_ok "query + apply set 3 BLAS threads" "$out" ;;
esac
out=$(AUTOTUNE_PROFILE="$tmp/profile.yaml" LD_LIBRARY_PATH="$libdir" "$tmp/apply" 2>&1)
case "$out" in
*"openblas_get_num_threads() = 3"*) tap_ok "found through AUTOTUNE_PROFILE" ;;
*) tap_not_ok "found through AUTOTUNE_PROFILE" "$out" ;;
esac
tap_done
