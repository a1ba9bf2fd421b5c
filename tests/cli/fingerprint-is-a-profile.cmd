autotune fingerprint > "$TMP/fp.yaml" && autotune validate "$TMP/fp.yaml" | sed "s|$TMP|TMP|"
