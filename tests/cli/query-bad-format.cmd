autotune query --workload svd --size 10 --format xml
