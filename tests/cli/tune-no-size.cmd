autotune --workload svd
