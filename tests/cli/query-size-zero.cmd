autotune query --workload svd --size 0
