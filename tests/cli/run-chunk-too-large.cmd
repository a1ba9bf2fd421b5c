autotune run --workload svd --size 10 --items 4 --workers 2 --chunk-size 8
