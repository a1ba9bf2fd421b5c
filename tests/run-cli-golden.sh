#!/bin/sh
# Golden-output tests of the autotune program (as hwloc tests its tools):
# tests/cli/NAME.cmd is a shell command run from the source tree with
# `autotune` on the PATH and $TMP a scratch directory; its stdout and stderr,
# then "[exit N]", must equal tests/cli/NAME.expected. Commands use the
# example profiles and --machine, so no particular hardware is needed.
. "$SRCDIR/tests/tap.sh"
cd "$SRCDIR" || exit 1
TMP=$(mktemp -d) || exit 1
export TMP
trap 'rm -rf "$TMP"' EXIT
PATH="$(dirname "$AUTOTUNE"):$PATH"
export PATH
unset AUTOTUNE_PROFILE AUTOTUNE_VERBOSE
export XDG_CONFIG_HOME="$TMP/config"

for cmd in tests/cli/*.cmd; do
    expected="${cmd%.cmd}.expected"
    actual=$( (sh "$cmd" 2>&1; echo "[exit $?]") )
    if [ "$actual" = "$(cat "$expected")" ]; then
        tap_ok "$cmd"
    else
        tap_not_ok "$cmd" "$(printf '%s\n' "$actual" |
            diff "$expected" - | head -20)"
    fi
done
tap_done
