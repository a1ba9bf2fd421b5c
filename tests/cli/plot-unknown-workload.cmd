autotune plot tests/data/good/v1-with-model.yaml --workload inv -o "$TMP/p.svg"
