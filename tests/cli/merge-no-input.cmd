autotune merge -o "$TMP/x.yaml"
