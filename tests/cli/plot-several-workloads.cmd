autotune plot tests/data/good/v2-own-workloads.yaml -o "$TMP/p.svg"
