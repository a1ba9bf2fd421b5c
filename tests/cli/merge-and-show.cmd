autotune merge data/examples/single-machine.yaml data/examples/cluster.yaml -o "$TMP/m.yaml" && autotune show "$TMP/m.yaml" | sed "s|$TMP|TMP|"
