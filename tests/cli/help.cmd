autotune --help
