#!/bin/sh
# The dependency graph of src/ is one-way (issue: "acyclic pools"): every
# file's uses of other files, from the built objects, and no cycle.
. "$SRCDIR/tests/tap.sh"
objdir="$BUILDDIR/src/.libs"
ls "$objdir"/libautotune_core_la-*.o >/dev/null 2>&1 ||
    tap_skip_all "no shared-build objects in $objdir"
if out=$(/usr/bin/python3 "$SRCDIR/tests/depgraph.py" "$objdir" 2>&1); then
    tap_ok "src/ has no dependency cycle ($(echo "$out" | grep -c ' -> ') files)"
else
    tap_not_ok "src/ has a dependency cycle" "$out"
fi
tap_done
