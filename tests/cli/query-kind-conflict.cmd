autotune query --workload svd --kind vector --size 100
