autotune plot tests/data/good/empty-machines.yaml -o "$TMP/p.svg"
