autotune merge data/examples/cluster.yaml tests/data/bad/alias.yaml -o "$TMP/out.yaml"; test -e "$TMP/out.yaml" && echo written || echo "nothing written"
