#!/bin/sh
# The Python tests (tests/python), run by Debian's python3 with its
# python3-numpy and python3-pytest, one TAP line per pytest case.
. "$SRCDIR/tests/tap.sh"
py=/usr/bin/python3
[ -x "$py" ] || tap_skip_all "no /usr/bin/python3 (build-aux/install-deps installs it)"
"$py" -c 'import numpy, pytest, threadpoolctl' 2>/dev/null ||
    tap_skip_all "python3-numpy, python3-pytest or python3-threadpoolctl missing (build-aux/install-deps installs them)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$SRCDIR/tests/python" || exit 1
"$py" -m pytest -v -p no:cacheprovider --basetemp="$tmp/pt" . \
    > "$tmp/out" 2>&1
rc=$?
# "test_x.py::test_name PASSED [ 50%]" -> one TAP line each
while read -r name verdict _; do
    case "$verdict" in
    PASSED) tap_ok "$name" ;;
    SKIPPED) tap_n=$((tap_n + 1)); echo "ok $tap_n - $name # SKIP" ;;
    FAILED|ERROR) tap_not_ok "$name" "$(sed -n '/^=* FAILURES/,$p' "$tmp/out" | head -60)" ;;
    esac
done <<EOT
$(grep -E '::[^ ]+ (PASSED|FAILED|ERROR|SKIPPED)' "$tmp/out")
EOT
if [ "$rc" -ne 0 ] && [ "$tap_failed" -eq 0 ]; then
    tap_not_ok "pytest exited $rc" "$(tail -30 "$tmp/out")"
fi
tap_done
