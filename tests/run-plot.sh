#!/bin/sh
# autotune plot: pictures of the tuning in tests/data/good/v1-with-model.yaml
# (samples, a model, an entry with its baselines) as SVG, PNG and PDF. The
# files must start as their format does; the PDF's text (pdftotext) must
# say what the picture shows: the job, the legend, the chosen
# configuration and the baselines with their times, the model or its
# absence, and a log scale when the seconds span more than a decade. The
# file is written atomically. The errors' exact messages are golden tests
# (tests/cli/plot-*.cmd).
. "$SRCDIR/tests/tap.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
good="$SRCDIR/tests/data/good/v1-with-model.yaml"
unset AUTOTUNE_VERBOSE

plot() { "$AUTOTUNE" plot "$@" 2> "$tmp/err"; }
# the bytes a file starts with, in hexadecimal
magic() { head -c "$2" "$1" | od -An -tx1 | tr -d ' \n'; }
# the same tuning with one sample 40 times faster than the others
sed 's/seconds: 7.6, spread: 0.01,/seconds: 0.19, spread: 0.01,/' \
    "$good" > "$tmp/wide.yaml"

if plot "$good" -o "$tmp/p.svg" && [ -s "$tmp/p.svg" ] &&
   head -1 "$tmp/p.svg" | grep -q '^<?xml ' && grep -q '^<svg ' "$tmp/p.svg"
then tap_ok "svg: written, an XML document with an <svg> root"
else tap_not_ok "svg" "$(cat "$tmp/err")" "$(head -c 200 "$tmp/p.svg")"; fi

# cairo draws text as glyph outlines: the title element names the job
if grep -q '^<title>autotune: svd, size 1000, 16 items on machine dea336c7b55e3339, seconds against workers</title>$' "$tmp/p.svg"
then tap_ok "svg: its <title> names the workload, size, items and machine"
else tap_not_ok "svg title" "$(grep -m1 '<title' "$tmp/p.svg")"; fi

# PNG: the signature, then IHDR 1800 x 1040 (900 x 520 points, 2 px each)
if plot "$good" -o "$tmp/p.png" &&
   [ "$(magic "$tmp/p.png" 8)" = 89504e470d0a1a0a ] &&
   [ "$(magic "$tmp/p.png" 24 | cut -c33-48)" = 0000070800000410 ]
then tap_ok "png: the PNG signature, 1800 x 1040 pixels"
else tap_not_ok "png" "$(cat "$tmp/err")" "$(magic "$tmp/p.png" 24)"; fi

if plot "$good" -o "$tmp/p.pdf" && [ "$(head -c 5 "$tmp/p.pdf")" = "%PDF-" ] &&
   grep -aq '/Title (autotune: svd, size 1000, 16 items on machine' "$tmp/p.pdf"
then tap_ok "pdf: %PDF- and a Title naming the job"
else tap_not_ok "pdf" "$(cat "$tmp/err")" "$(head -c 20 "$tmp/p.pdf")"; fi

# Extensions in any case.
if plot "$good" -o "$tmp/P.SVG" && grep -q '^<svg ' "$tmp/P.SVG"
then tap_ok "the extension is read in any case (.SVG)"
else tap_not_ok ".SVG" "$(cat "$tmp/err")"; fi

# The picture's text, through the PDF.
text() { pdftotext -layout "$1" - 2>/dev/null | sed 's/  */ /g'; }
if ! command -v pdftotext >/dev/null; then
    tap_not_ok "pdftotext is missing (build-aux/install-deps: poppler-utils)"
else
    t=$(text "$tmp/p.pdf")
    missing=
    for want in "svd, size 1000, 16 items" \
        "machine dea336c7b55e3339 (vm): AMD EPYC, 2 usable CPUs, BLAS openblas 0.3.21" \
        "BLAS threads per worker" " 1 thread" " 2 threads" \
        "model: the best predicted there" "chosen: 3.91 s" \
        "2 processes x 1t, chunk 1, shm, pinned" \
        "serial_default: 5.1 s (1.30x)" "serial_1: 7.6 s (1.94x)" \
        "naive_pool: 5.6 s (1.43x)" "joblib_rule: 3.95 s (1.01x)" \
        "model's held-out error: 4.1%" "workers" "seconds"; do
        printf '%s\n' "$t" | grep -qF -- "$want" || missing="$missing [$want]"
    done
    if [ -z "$missing" ] && ! printf '%s\n' "$t" | grep -q "log scale"
    then tap_ok "pdf text: title, machine, legend, chosen, baselines, model, linear axes"
    else tap_not_ok "pdf text: missing$missing" "$t"; fi

    # one sample 40 times faster: seconds span more than a decade
    if plot "$tmp/wide.yaml" -o "$tmp/wide.pdf" &&
       text "$tmp/wide.pdf" | grep -q "seconds (log scale)"
    then tap_ok "seconds over more than a decade: a log scale"
    else tap_not_ok "log scale" "$(cat "$tmp/err")"; fi

    # no model: no lines, and the legend says so
    grep -v -e '^      model:' -e '^        form:' -e '^        fitted:' \
        -e '^        error:' -e '^        params:' "$good" > "$tmp/nomodel.yaml"
    if plot "$tmp/nomodel.yaml" -o "$tmp/nomodel.pdf" &&
       plot "$tmp/nomodel.yaml" -o "$tmp/nomodel.svg" &&
       text "$tmp/nomodel.pdf" | grep -q "model: none in the profile" &&
       ! grep -q stroke-dasharray "$tmp/nomodel.svg" &&
       grep -q stroke-dasharray "$tmp/p.svg"
    then tap_ok "without a model: no dashed lines, the legend says none"
    else tap_not_ok "no model" "$(cat "$tmp/err")"; fi
fi

# The defaults are the only workload, the largest size, the entry's items.
if plot "$good" --workload svd --size 1000 --items 16 -o "$tmp/x.svg" &&
   cmp -s "$tmp/x.svg" "$tmp/p.svg"
then tap_ok "defaults: the only workload, the largest size, its entry's items"
else tap_not_ok "defaults" "$(cat "$tmp/err")"; fi

# The profile query would use, when none is named.
if AUTOTUNE_PROFILE="$good" "$AUTOTUNE" plot -o "$tmp/q.svg" 2> "$tmp/err" &&
   cmp -s "$tmp/q.svg" "$tmp/p.svg"
then tap_ok "no PROFILE: the one query would use (AUTOTUNE_PROFILE)"
else tap_not_ok "default profile" "$(cat "$tmp/err")"; fi

# Several machines: --machine chooses (this machine is in neither file).
"$AUTOTUNE" merge "$SRCDIR/data/examples/cluster.yaml" "$good" \
    -o "$tmp/cluster.yaml" 2> "$tmp/err"
if plot "$tmp/cluster.yaml" --machine dea336c7b55e3339 -o "$tmp/c.svg" &&
   cmp -s "$tmp/c.svg" "$tmp/p.svg" &&
   ! plot "$tmp/cluster.yaml" -o "$tmp/c2.svg" && [ ! -e "$tmp/c2.svg" ] &&
   grep -q "this machine is not in it; choose one of its 3 machines" "$tmp/err"
then tap_ok "several machines: --machine picks one, none is refused"
else tap_not_ok "--machine" "$(cat "$tmp/err")"; fi

# Atomic: no temporary file is left; a failed plot keeps the old picture;
# a new file gets the mode umask allows.
cp "$tmp/p.svg" "$tmp/keep.svg"
if ! plot "$good" --size 700 -o "$tmp/p.svg" && cmp -s "$tmp/p.svg" "$tmp/keep.svg" &&
   [ -z "$(find "$tmp" -name '*.tmp.*')" ]
then tap_ok "a failed plot leaves the old file as it was, no temporaries"
else tap_not_ok "atomic" "$(ls "$tmp")"; fi
if (umask 027 && plot "$good" -o "$tmp/mode.png") &&
   [ "$(stat -c %a "$tmp/mode.png")" = 640 ]
then tap_ok "a new picture's mode is what umask allows (027: 640)"
else tap_not_ok "mode" "$(stat -c %a "$tmp/mode.png")"; fi
# replaced by a rename, not rewritten in place: another hard link to the
# old file (as a reader holding it open) still has the old picture whole
if plot "$good" -o "$tmp/p.svg" && ln "$tmp/p.svg" "$tmp/link.svg" &&
   plot "$tmp/wide.yaml" -o "$tmp/p.svg" && cmp -s "$tmp/link.svg" "$tmp/keep.svg" &&
   ! cmp -s "$tmp/p.svg" "$tmp/keep.svg" && grep -q '^<svg ' "$tmp/p.svg"
then tap_ok "an existing picture is replaced by a new file (rename)"
else tap_not_ok "replace" "$(cat "$tmp/err")"; fi

# tune --plot: the run draws its own picture, of the profile it saved
if "$AUTOTUNE" --workload gemm --size 32 --items 4 --budget 3 --quiet \
       --output "$tmp/tuned.yaml" --plot "$tmp/tuned.svg" >/dev/null 2>"$tmp/err" &&
   grep -q '^<svg ' "$tmp/tuned.svg" && grep -q 'gemm, size 32' "$tmp/tuned.svg"
then tap_ok "tune --plot draws the run"
else tap_not_ok "tune --plot" "$(cat "$tmp/err")"; fi

tap_done
