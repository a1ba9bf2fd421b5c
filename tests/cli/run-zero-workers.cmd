autotune run --workload svd --size 10 --workers 0
