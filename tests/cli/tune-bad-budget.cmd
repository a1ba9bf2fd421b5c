autotune tune --workload svd --size 100 --budget 0
