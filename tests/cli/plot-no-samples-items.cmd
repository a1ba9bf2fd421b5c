autotune plot tests/data/good/v1-with-model.yaml --items 8 -o "$TMP/p.png"
