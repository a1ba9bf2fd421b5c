autotune help query | head -1
autotune help | head -1
autotune help nope
