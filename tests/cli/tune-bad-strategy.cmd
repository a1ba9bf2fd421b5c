autotune --workload svd --size 100 --strategy anneal
