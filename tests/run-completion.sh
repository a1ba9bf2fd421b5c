#!/bin/bash
# Bash completion (completion/autotune) as bash runs it on TAB: sourced
# after bash-completion's own library in a shell of its own (no rc file,
# HOME and the profile the test's), with COMP_WORDS, COMP_CWORD, COMP_LINE
# and COMP_POINT set as readline sets them for a command line (a word
# break at '='), _autotune called, and COMPREPLY compared exactly. The
# commands expected come from tuner/main.c's table, not from the help the
# script reads; options and values are spelt out. Then `make install`
# (DESTDIR) puts the file where bash-completion's loader finds it by the
# command's name.
. "$SRCDIR/tests/tap.sh"
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || tap_skip_all "no $bc (Debian package bash-completion)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
PATH="$(dirname "$AUTOTUNE"):$PATH"
export PATH HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config"
mkdir -p "$HOME" "$tmp/files/sub"
touch "$tmp/files/a.yaml" "$tmp/files/b.yaml"

# A profile of this machine (the fingerprint command prints one) with two
# workloads of the user's own beside a built-in one.
own="$tmp/own.yaml"
"$AUTOTUNE" fingerprint > "$own" || exit 1
fingerprint=$(sed -n 's/^- fingerprint: //p' "$own")
entry='{size: 100, items: 1, seconds: 1.0, spread: 0.01, measured: 2026-01-01T00:00:00Z, best: {workers: 1, mode: process, blas_threads: 1, chunk_size: 1, partitions: 1, transport: shm, pin: none}}'
printf '  workloads:\n' >> "$own"
for w in mysolver:batch svd:batch vec-own:vector; do
    printf '    %s:\n      kind: %s\n      entries:\n      - %s\n' \
        "${w%:*}" "${w#*:}" "$entry" >> "$own"
done
"$AUTOTUNE" validate "$own" >/dev/null || exit 1
export AUTOTUNE_PROFILE="$own"

# complete LINE: what TAB at the end of LINE offers, one per line, sorted.
complete_line() {
    (
        cd "$tmp/files" || exit 1
        # shellcheck disable=SC1090
        . "$bc" && . "$SRCDIR/completion/autotune" || exit 1
        COMP_LINE=$1 COMP_POINT=${#1}
        read -ra COMP_WORDS <<< "${1//=/ = }"
        case $1 in *' ' | *=) COMP_WORDS+=("") ;; esac
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _autotune autotune "${COMP_WORDS[COMP_CWORD]}" \
            "${COMP_WORDS[COMP_CWORD - 1]}" 2>"$tmp/stderr"
        [ -s "$tmp/stderr" ] && sed 's/^/stderr: /' "$tmp/stderr"
        printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | LC_ALL=C sort
    )
}

# check LINE EXPECTED...: TAB after LINE offers exactly EXPECTED.
check() {
    local line=$1 got want
    shift
    got=$(complete_line "$line")
    want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort)
    if [ "$got" = "$want" ]; then
        tap_ok "'$line' -> $(echo $want)"
    else
        tap_not_ok "'$line'" "expected: $(echo $want)" "got: $(echo $got)"
    fi
}

# The commands, from the program's own table (multi-line rows included).
table=$(sed -n 's/^ *{"\([a-z]*\)", *cmd_.*/\1/p' "$SRCDIR/tuner/main.c")
[ -n "$table" ] || { tap_not_ok "commands in tuner/main.c"; tap_done; exit; }
# shellcheck disable=SC2086
check "autotune " $table
# shellcheck disable=SC2086
check "autotune s" $(printf '%s\n' $table | grep '^s')
check "autotune nosuch --" ""

# Options: of the program, of tune (the default command), of a command.
check "autotune --ver" --version
check "autotune --wo" --workload
check "autotune tune --str" --strategy
check "autotune run --tr" --transport
check "autotune merge -" --help -o
check "autotune query --size 10 --st" --strict
for c in $table; do
    check "autotune $c --he" --help
done

# Values: choices from the usage line, spelt either way.
check "autotune tune --strategy " grid model random
check "autotune --workload svd --strategy g" grid
check "autotune run --mode " process thread
check "autotune run --transport=" pipe shm
check "autotune run --pin=c" cores
check "autotune run --format t" text
check "autotune run --format y" yaml
check "autotune query --size " ""
check "autotune run --warmup " ""

# Workload names: built in, and the profile's (AUTOTUNE_PROFILE, or the
# one --profile names); fingerprints of the profile.
check "autotune query --workload " exp gemm inv mysolver svd vec-own
check "autotune env --workload v" vec-own
check "autotune query --workload=m" mysolver
check "autotune query --profile $SRCDIR/data/examples/cluster.yaml --workload " \
    exp gemm inv svd
check "autotune query --machine " "$fingerprint"
check "autotune run --workload " exp gemm inv mysolver svd vec-own
unset AUTOTUNE_PROFILE # no profile at all: the built-in names only
check "autotune query --workload " exp gemm inv svd
export AUTOTUNE_PROFILE="$own"

# Files: operands and FILE arguments.
check "autotune validate " a.yaml b.yaml sub
check "autotune show a" a.yaml
check "autotune merge a.yaml -o " a.yaml b.yaml sub
check "autotune tune --output " a.yaml b.yaml sub
# A command without operands offers its options, never files.
got=$(complete_line "autotune fingerprint ")
case " $(echo $got) " in
*" a.yaml "*) tap_not_ok "'autotune fingerprint ' offers files" "$got" ;;
*" --help "*) tap_ok "'autotune fingerprint ' -> its options: $(echo $got)" ;;
*) tap_not_ok "'autotune fingerprint ' offers its options" "$got" ;;
esac

# Installed by `make install` where bash-completion's loader finds it.
if ${MAKE:-make} -C "$BUILDDIR" install DESTDIR="$tmp/root" \
     >"$tmp/install.log" 2>&1; then
    file=$(find "$tmp/root" -path '*/bash-completion/completions/autotune')
    if [ -n "$file" ] && cmp -s "$file" "$SRCDIR/completion/autotune"; then
        tap_ok "installed as ${file#"$tmp/root"}"
    else
        tap_not_ok "installed in a bash-completion completions directory"
    fi
    share=${file%/bash-completion/completions/autotune}
    got=$(XDG_DATA_DIRS="$share" bash --norc -c ". '$bc'
        __load_completion autotune && complete -p autotune" 2>&1)
    if [ "$got" = "complete -F _autotune autotune" ]; then
        tap_ok "bash-completion loads it for the command autotune"
    else
        tap_not_ok "bash-completion loads it" "$got"
    fi
else
    tap_not_ok "make install DESTDIR" "$(tail -5 "$tmp/install.log")"
fi
tap_done
