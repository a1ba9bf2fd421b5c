autotune --workload svd --sizes 100,x
