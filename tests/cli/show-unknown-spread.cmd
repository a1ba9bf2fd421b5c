sed 's/spread: 0.03,/spread: null,/' data/examples/single-machine.yaml > "$TMP/u.yaml" && autotune show "$TMP/u.yaml" | sed "s|$TMP|TMP|"
