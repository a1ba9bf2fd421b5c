autotune --workload svd --size 100 --strict
