mkdir -p "$TMP/empty-site" && AUTOTUNE_PROFILE_DIR="$TMP/empty-site" autotune show
