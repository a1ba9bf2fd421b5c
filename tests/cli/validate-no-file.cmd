autotune validate
