autotune query --workload svd --size
