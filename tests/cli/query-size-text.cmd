autotune query --workload svd --size 1k
